"""The benchmark protocol for one video and its means (reference section 5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from config import CorrelationTarget, DatasetSpec
from dataset.errors import DataError
from dataset.h5 import VideoRecord
from evaluation.metrics import f_score, rank_correlation
from evaluation.summary import generate_summary


@dataclass(frozen=True)
class VideoMetrics:
    key: str
    f1: float  # percent
    kendall: float
    spearman: float


@dataclass(frozen=True)
class MeanMetrics:
    f1: float
    kendall: float
    spearman: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _correlate_with_mean_user_summary(step_scores: np.ndarray, summary: np.ndarray, video: VideoRecord) -> tuple[float, float]:
    return rank_correlation(summary, video.user_summary.mean(axis=0))


def annotator_scores(video: VideoRecord) -> np.ndarray:
    """TVSum's per-annotator step scores, Sized [n_annotators, T]; a DataError when they were not loaded."""
    if video.annotator_scores is None:
        raise DataError(f"{video.key}: no annotator scores attached; load the dataset with its annotation file")
    return video.annotator_scores


def _correlate_with_each_annotator(step_scores: np.ndarray, summary: np.ndarray, video: VideoRecord) -> tuple[float, float]:
    pairs = [rank_correlation(step_scores, annotator) for annotator in annotator_scores(video)]
    return float(np.mean([tau for tau, _ in pairs])), float(np.mean([rho for _, rho in pairs]))


_CORRELATORS = {
    CorrelationTarget.MEAN_USER_SUMMARY: _correlate_with_mean_user_summary,
    CorrelationTarget.EACH_ANNOTATOR: _correlate_with_each_annotator,
}


def evaluate_video(step_scores: np.ndarray, video: VideoRecord, spec: DatasetSpec) -> VideoMetrics:
    """F1, Kendall tau and Spearman rho of one video's predicted step scores (Sized [T])."""
    step_scores = np.asarray(step_scores, dtype=np.float32).reshape(-1)
    if len(step_scores) != video.n_steps:
        raise ValueError(f"{video.key}: {len(step_scores)} scores for {video.n_steps} steps")
    summary = generate_summary(step_scores, video.change_points, video.n_frames, video.picks)
    f1 = f_score(summary, video.user_summary, spec.f1_reduction)
    tau, rho = _CORRELATORS[spec.correlation_target](step_scores, summary, video)
    return VideoMetrics(video.key, f1, tau, rho)


def mean_metrics(rows: Sequence[VideoMetrics | MeanMetrics]) -> MeanMetrics:
    """Plain means (NaN propagates, as in the reference: a constant summary makes its video's rho NaN)."""
    if not rows:
        raise ValueError("no results to average")
    return MeanMetrics(
        f1=float(np.mean([row.f1 for row in rows])),
        kendall=float(np.mean([row.kendall for row in rows])),
        spearman=float(np.mean([row.spearman for row in rows])),
    )
