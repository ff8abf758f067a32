"""Per-epoch training curves for TensorBoard (train.py --tensorboard DIR), for any method.

TensorBoard's own writer (torch.utils.tensorboard.SummaryWriter), one run folder per trained model,
so that ``tensorboard --logdir DIR`` shows every split, seed, method and sigma side by side. The
JSON record and the PNG curve beside the weights stay the files of record; the event files are a
monitoring view (the writer gives each a unique name, so a new run never overwrites an old one).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from evaluation.protocol import MeanMetrics

# The scalar tags, as TensorBoard groups them (section/name).
LOSS_TAG = "train/loss"
METRIC_TAGS = {"f1": "test/f1", "kendall": "test/kendall_tau", "spearman": "test/spearman_rho"}


def run_folder(root: Path, method: str, dataset: str, split: int, seed: int | None = None, length_factor: float | None = None) -> Path:
    """<root>/<method>/<dataset>/[seed<S>/]split<k>[/sigma<x>]: one TensorBoard run per trained model."""
    folder = Path(root) / method / dataset
    if seed is not None:
        folder = folder / f"seed{seed}"
    folder = folder / f"split{split}"
    return folder / f"sigma{length_factor:g}" if length_factor is not None else folder


class EpochBoard:
    """Writes the loss and the test F1, tau and rho of every epoch; does nothing without a folder."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._writer = None
        if folder is not None:
            from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415 - slow to import, needed only when asked for

            self._writer = SummaryWriter(log_dir=str(folder))

    def log(self, epoch: int, loss: float, metrics: MeanMetrics) -> None:
        if self._writer is None:
            return
        self._writer.add_scalar(LOSS_TAG, loss, epoch)
        for field, tag in METRIC_TAGS.items():
            self._writer.add_scalar(tag, getattr(metrics, field), epoch)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> EpochBoard:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()
