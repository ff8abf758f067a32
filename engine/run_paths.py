"""Where train.py and inference.py read and write each file: one definition of every path, so the
scripts can list (and check) every output before any work starts, and the writers cannot disagree.

Standard library only: the scripts call this before importing torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # dataset/ loads h5py and numpy, which these path rules do not need
    from dataset.splits import Split

REPORT_FILES = ("report.json", "report.md")


def weights_path_for(weights_dir: Path, dataset: str, split: int, seed: int | None = None) -> Path:
    """<weights_dir>/<dataset>/split<k>.pt, or .../<dataset>/seed<S>/split<k>.pt for one of several seeds."""
    folder = Path(weights_dir) / dataset
    return (folder if seed is None else folder / f"seed{seed}") / f"split{split}.pt"


def record_path_for(weights_path: Path) -> Path:
    """split<k>.json beside split<k>.pt: what the weights were trained on and how."""
    return Path(weights_path).with_suffix(".json")


def curve_path_for(weights_path: Path) -> Path:
    """split<k>_curve.png beside split<k>.pt."""
    return Path(weights_path).with_name(f"{Path(weights_path).stem}_curve.png")


def run_folder_for(weights_path: Path) -> Path:
    """split<k>.run/ beside split<k>.pt: the run's own folder, holding its checkpoint while it trains
    (engine/train/resume.py); removed once the weights, record and curve are written."""
    return Path(weights_path).with_name(f"{Path(weights_path).stem}.run")


def run_checkpoint_path(weights_path: Path, length_factor: float | None = None) -> Path:
    """split<k>.run/checkpoint.pt: the state after the last finished epoch, replaced after every epoch;
    split<k>.run/sigma<f>.pt for each run of CA-SUM's sigma sweep (one model per sigma)."""
    name = "checkpoint.pt" if length_factor is None else f"sigma{length_factor:g}.pt"
    return run_folder_for(weights_path) / name


def training_outputs(weights_path: Path) -> list[Path]:
    """Every file train.py writes for one split: the weights, their record, the training curve and,
    while it trains, the run checkpoint."""
    return [Path(weights_path), record_path_for(weights_path), curve_path_for(weights_path), run_checkpoint_path(weights_path)]


def video_plot_path(report_dir: Path, dataset: str, seed: int | None, split: int, key: str) -> Path:
    """<report>/plots/<dataset>/[seed<S>/]split<k>/<video>.png."""
    folder = Path(report_dir) / "plots" / dataset
    if seed is not None:
        folder = folder / f"seed{seed}"
    return folder / f"split{split}" / f"{key}.png"


def report_outputs(report_dir: Path, plots: Sequence[tuple[str, int | None, int, Sequence[str]]]) -> list[Path]:
    """Every file inference.py --report writes.

    Args:
        plots: (dataset, seed or None, split, test video keys) of each evaluated split.
    """
    files = [Path(report_dir) / name for name in REPORT_FILES]
    for dataset, seed, split, keys in plots:
        files += [video_plot_path(report_dir, dataset, seed, split, key) for key in keys]
    return files


def weights_to_evaluate(weights_dir: Path, dataset: str, splits: Sequence[Split], require_all: bool,
                        seed: int | None = None) -> list[tuple[Split, Path]]:
    """The splits that have a weights file, each with its path; checked before any model is built.

    Args:
        require_all: every split must have its file (the user named the splits); otherwise splits
            without one are left out, and at least one must have it.

    Raises:
        FileNotFoundError: naming every missing file.
    """
    present = [(split, weights_path_for(weights_dir, dataset, split.number, seed)) for split in splits]
    missing = [str(path) for _, path in present if not path.is_file()]
    if missing and (require_all or len(missing) == len(present)):
        raise FileNotFoundError(
            f"{dataset}: weights file(s) not found: {', '.join(missing)}\n"
            f"Train them with train.py, or put the released CSTA weights in {Path(weights_dir) / dataset}/."
        )
    return [(split, path) for split, path in present if path.is_file()]
