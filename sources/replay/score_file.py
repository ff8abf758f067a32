"""score.py on Mr.HiSum's or MoSu's own label file (mr_hisum.h5, mrhisum_gt.h5, mosu_gt.h5): any method's scores, one
per row (1 fps), scored per video and overall under a named published protocol (evaluation/replay_metrics.py), the
same functions inference.py's table uses.

The predictions are read as score.py reads them for a built data set (builder/predictions.py): inference.py's
--save-scores h5 or a JSON object video id -> scores. One difference from inference.py's table is said in the
output: under Mr.HiSum's protocol inference.py takes mAP@50 and mAP@15 from the checkpoints kept for them, while a
file of scores holds one set of scores per video (--save-scores: split1.pt's), which scores every metric here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.errors import PredictionError
from builder.predictions import read_predictions
from dataset.h5 import video_sort_key
from dataset.h5_file import open_h5
from dataset.replay import ReplayFiles, ReplaySplit, read_labels, read_split_file
from evaluation.replay_metrics import ReplayProtocol, mean_over_videos, video_metrics

_DIGITS = {"f1": 2, "map50": 2, "map15": 2, "tau": 3, "rho": 3}
ONE_SET_NOTE = ("every metric from these scores (one set per video); inference.py's table under the mrhisum protocol takes mAP@50 "
                "and mAP@15 from the checkpoints kept for them (split1_map50.pt, split1_map15.pt)")


@dataclass(frozen=True)
class ReplayScoreReport:
    """Per-video and overall numbers of one file of scores on a Most-replayed label file, under one protocol."""

    data: Path
    predictions: Path
    dataset: str  # "Mr.HiSum", in words
    protocol: ReplayProtocol
    rows: list[tuple[str, dict[str, float]]]  # (video id, the protocol's metrics) in video order
    overall: dict[str, float]  # mean over the scored videos
    missing: list[str] | None  # test videos of the split file without scores; None: no split file beside the labels
    synthetic: bool

    @property
    def note(self) -> str:
        return ONE_SET_NOTE if self.protocol is ReplayProtocol.MRHISUM else ""

    def as_dict(self) -> dict:
        return {"data": str(self.data), "predictions": str(self.predictions), "dataset": self.dataset, "synthetic_data": self.synthetic,
                "protocol": self.protocol.value, "protocol_title": self.protocol.title,
                "videos": [{"video": key, **numbers} for key, numbers in self.rows],
                "overall": {**self.overall, "n_videos": len(self.rows), "mean_over": "videos"},
                "test_videos_without_predictions": self.missing, "note": self.note}

    def table(self) -> str:
        """The per-video rows and the mean, under a line naming the protocol."""
        metrics = list(self.protocol.metrics)
        synthetic = " [SYNTHETIC data, not the real benchmark]" if self.synthetic else ""
        lines = [f"{self.data.name} ({self.dataset}){synthetic}: protocol {self.protocol.value}, {self.protocol.title}"]
        width = max([len(key) for key, _ in self.rows] + [10])
        lines.append(f"  {'video':<{width}} " + " ".join(f"{metric:>8}" for metric in metrics))
        for key, numbers in [*self.rows, (f"overall ({len(self.rows)})", self.overall)]:
            lines.append(f"  {key:<{width}} " + " ".join(f"{numbers[m]:>8.{_DIGITS.get(m, 3)}f}" for m in metrics))
        lines.append(f"  overall: mean over the {len(self.rows)} video(s) scored (one test split: --mean splits is the same mean); "
                     "F1 and mAP in percent")
        if self.note:
            lines.append(f"  note: {self.note}")
        if self.missing is None:
            lines.append("  no split file beside the labels: the test videos without scores were not counted")
        elif self.missing:
            shown = ", ".join(self.missing[:10]) + (f" and {len(self.missing) - 10} more" if len(self.missing) > 10 else "")
            lines.append(f"  test videos without predictions ({len(self.missing)}, not scored): {shown}")
        return "\n".join(lines)


def score_replay_predictions(files: ReplayFiles, predictions: Path, protocol: ReplayProtocol) -> ReplayScoreReport:
    """Every video of ``predictions`` scored against ``files.labels`` under ``protocol``.

    Raises:
        DataError: the label file (or its split file) cannot be read, or a video's labels are malformed.
        PredictionError: scores for a video absent from the labels, of another length than its rows, or with NaN.
    """
    predicted = read_predictions(predictions)
    rows = []
    with open_h5(files.labels, files.layout_name) as labels:
        present = set(labels.members("/"))
        for key in sorted(predicted, key=video_sort_key):
            if key not in present:
                raise PredictionError(f"{predictions}: scores for {key!r}, which is not a video of {files.labels}")
            truth = read_labels(labels, files, key)
            scores = predicted[key].reshape(-1)
            if not np.isfinite(scores).all():
                raise PredictionError(f"{predictions}: the scores of {key} hold NaN or infinite values "
                                      f"(first at index {int(np.flatnonzero(~np.isfinite(scores))[0])})")
            if len(scores) != len(truth.gtscore):
                raise PredictionError(f"{predictions}: {len(scores)} scores for {key}, which has {len(truth.gtscore)} rows in "
                                      f"{files.labels} (one score per row, one row a second)")
            rows.append((key, video_metrics(protocol, scores, truth.gtscore, truth.gt_summary, truth.change_points)))
    missing = None
    if files.split.is_file():
        missing = [key for key in read_split_file(files)[ReplaySplit.TEST] if key not in predicted]
    return ReplayScoreReport(Path(files.labels), Path(predictions), files.dataset, protocol, rows,
                             mean_over_videos([numbers for _, numbers in rows]), missing, files.synthetic())
