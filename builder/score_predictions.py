"""Scoring predictions on a built data set under this project's protocol (evaluation.protocol), so a
method that is not in this project is compared on equal terms: the same summary construction
(knapsack over the file's shots at 15%), the same F1 and the same rank correlations as SumMe/TVSum."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from builder.errors import PredictionError
from builder.predictions import match_predictions, prediction_splits, read_predictions
from config import F1Reduction
from dataset.custom import CustomDataset, LabelKind, read_custom
from dataset.h5 import video_sort_key
from evaluation.baselines import format_value
from evaluation.means import MeanOver, mean_over
from evaluation.protocol import MeanMetrics, VideoMetrics, evaluate_video
from models.backbone import BackboneOrigin


@dataclass(frozen=True)
class ScoreReport:
    data: Path
    predictions: Path
    kind: LabelKind
    f1_reduction: F1Reduction
    rows: list[VideoMetrics]  # in video order
    names: dict[str, str]  # key -> video_name
    overall: MeanMetrics
    missing: list[str]  # keys of the videos without predictions
    backbone_origin: str | None
    mean_rule: MeanOver = MeanOver.VIDEOS  # what ``overall`` averages
    splits: dict[str, int] | None = None  # key -> the split its scores came from (a --save-scores h5), else None

    @property
    def mean_wording(self) -> str:
        n_splits = len(set(self.splits.values())) if self.splits else None
        return self.mean_rule.describe(n_splits, len(self.rows))

    @property
    def protocol(self) -> str:
        if self.kind is LabelKind.SCORES:
            correlation = "tau/rho: predicted step scores vs each annotator's scores / max at the picks, averaged (TVSum's)"
        else:
            correlation = "tau/rho: 0/1 machine summary vs the annotators' mean summary, frame level (SumMe's)"
        return f"F1: {self.f1_reduction.value} over annotators; {correlation}"

    def as_dict(self) -> dict:
        return {
            "data": str(self.data), "predictions": str(self.predictions), "labels": self.kind.value,
            "f1_over_annotators": self.f1_reduction.value, "protocol": self.protocol, "backbone_origin": self.backbone_origin,
            "videos": [{**asdict(row), "video_name": self.names[row.key]} for row in self.rows],
            "overall": {**self.overall.as_dict(), "n_videos": len(self.rows), "mean_over": self.mean_rule.value,
                        "mean_wording": self.mean_wording},
            "without_predictions": [{"key": key, "video_name": self.names[key]} for key in self.missing],
        }


def score_predictions(data_path: Path, predictions_path: Path, f1_reduction: F1Reduction | None = None,
                      mean_rule: MeanOver = MeanOver.VIDEOS) -> ScoreReport:
    """F1, tau and rho of every video that has predictions, and their mean (``mean_rule``: over the videos, or over
    the splits the --save-scores file names, as inference.py's table).

    Raises:
        DataError: the data set cannot be read or has no labels.
        PredictionError: a prediction for an unknown video, of a wrong length, or with NaN; --mean splits on
            predictions that carry no split (a JSON file).
    """
    data: CustomDataset = read_custom(data_path, f1_reduction)
    steps = match_predictions(Path(predictions_path), read_predictions(predictions_path), data)
    keys = sorted(steps, key=video_sort_key)
    rows = [evaluate_video(steps[key], data.videos[key], data.spec) for key in keys]
    missing = [key for key in data.videos if key not in steps]
    splits = _splits_by_key(Path(predictions_path), data, mean_rule)
    by_split: dict[int, list[VideoMetrics]] = {}
    for row in rows:
        by_split.setdefault(splits[row.key] if splits else 0, []).append(row)
    return ScoreReport(Path(data_path), Path(predictions_path), data.kind, data.spec.f1_reduction, rows, data.names,
                       mean_over(mean_rule, by_split), missing, data.backbone_origin, mean_rule, splits)


def _splits_by_key(path: Path, data: CustomDataset, mean_rule: MeanOver) -> dict[str, int] | None:
    """Each scored video's split by its key (the names in the file matched as the scores were), when the file says them."""
    named = prediction_splits(path)
    if named is None:
        if mean_rule is MeanOver.SPLITS:
            raise PredictionError(f"{path}: a JSON file of scores says no splits, so --mean splits cannot be taken; give the "
                                  "--save-scores h5 of inference.py (its videos carry their split), or use --mean videos")
        return None
    # the names are those match_predictions accepted: video keys, or the videos' names with or without extension
    key_of = {**{Path(name).stem: key for key, name in data.names.items()}, **{name: key for key, name in data.names.items()}}
    return {(name if name in data.videos else key_of[name]): split for name, split in named.items()}


def score_table(report: ScoreReport) -> str:
    """The per-video rows and the overall mean, with the protocol and the features' origin stated."""
    lines = [f"{report.data.name}: {report.protocol}"]
    if report.backbone_origin is not None and report.backbone_origin != BackboneOrigin.IMAGENET.value:
        origin = BackboneOrigin(report.backbone_origin)
        lines.append(f"  features: {origin.warning or origin.description}")
    width = max([len(name) for name in report.names.values()] + [10])
    lines.append(f"  {'video':<10} {'name':<{width}} {'F1 (%)':>8} {'tau':>8} {'rho':>8}")
    for row in report.rows:
        lines.append(f"  {row.key:<10} {report.names[row.key]:<{width}} {format_value(row.f1, 2):>8} "
                     f"{format_value(row.kendall, 3):>8} {format_value(row.spearman, 3):>8}")
    mean = report.overall
    lines.append(f"  {'overall':<10} {f'{len(report.rows)} videos':<{width}} {format_value(mean.f1, 2):>8} "
                 f"{format_value(mean.kendall, 3):>8} {format_value(mean.spearman, 3):>8}")
    lines.append(f"  overall: {report.mean_wording}")
    if report.missing:
        lines.append(f"  without predictions ({len(report.missing)}, not scored): "
                     + ", ".join(f"{key} ({report.names[key]})" for key in report.missing))
    nan = [row.key for row in report.rows if np.isnan(row.kendall) or np.isnan(row.spearman)]
    if nan:
        lines.append(f"  nan: a constant prediction or summary has no rank correlation ({', '.join(nan)})")
    return "\n".join(lines)
