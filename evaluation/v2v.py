"""VideoXum's video-to-video (V2V) protocol, as its code computes it (utils.py and eval_v2vt_sum.py
of github.com/jylins/videoxum), and the annotators' agreement with each other under it.

Per video, with predicted scores s over the n frames at 1 fps and the annotators' 0/1 summaries
``vsum_onehot`` (U = 10 rows):

- F1 (percent here; VideoXum prints a fraction and reports it x 100): the predicted summary keeps
  every frame whose score is at least the (k+1)-th largest, k = int(0.15 n): at least k + 1 frames
  (its code indexes the sorted scores at k, not k - 1), more when scores tie there. F1 against each
  annotator's row (sklearn's binary f1_score: 2 TP / (2 TP + FP + FN), 0 when TP = 0); the video's
  min, max and mean over the U annotators. VideoXum reports "F1 max" and "F1 mean": the means over
  videos of the per-video max and mean.
- Kendall's tau-b (on ranks, ties averaged) and Spearman's rho of s with the annotators' mean summary
  (the share of annotators keeping each frame; VideoXum passes ``vsum_onehot.sum(0) / 10`` with
  num_repeat = 1, so its min/max/mean of these are one value); NaN (a constant side) counts as 0.
  VideoXum ranks sigmoid(logits); a monotone map leaves ranks unchanged, so scores are used as given.
- Beside it, labelled ``*_each``: tau and rho with each annotator's 0/1 row, NaN as 0, min/max/mean
  over annotators. This is NOT what VideoXum's published tau/rho are; it is reported for comparison.

Frames: all n frames are scored (VideoXum evaluates with max_frames = 1e5, i.e. the whole video; it
cuts training videos to 512 frames, which is a training choice, not part of the protocol).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
from scipy.stats import ConstantInputWarning, spearmanr

from config import F1Reduction
from evaluation.agreement import kendall_tau_b
from evaluation.metrics import f_score, rank_correlation

SUMMARY_SHARE = 0.15


@dataclass(frozen=True)
class V2VVideoMetrics:
    """One video's V2V numbers: F1 in percent, correlations as coefficients."""

    key: str
    f1_min: float
    f1_max: float
    f1_mean: float
    kendall: float  # vs the annotators' mean summary: VideoXum's "Kendall"
    spearman: float  # vs the annotators' mean summary: VideoXum's "Spearman"
    kendall_each_min: float
    kendall_each_max: float
    kendall_each_mean: float
    spearman_each_min: float
    spearman_each_max: float
    spearman_each_mean: float


@dataclass(frozen=True)
class V2VMeans:
    """Means over videos of every per-video number (VideoXum reports f1_max, f1_mean, kendall, spearman)."""

    n_videos: int
    f1_min: float
    f1_max: float
    f1_mean: float
    kendall: float
    spearman: float
    kendall_each_min: float
    kendall_each_max: float
    kendall_each_mean: float
    spearman_each_min: float
    spearman_each_max: float
    spearman_each_mean: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class PublishedV2V:
    """A V2V row as VideoXum published it, for the report to put beside ours."""

    method: str
    f1: float  # percent; the README's "F1 score" column, which does not say whether it is F1 max or mean
    kendall: float
    spearman: float
    source: str


VIDEOXUM_MODEL_ZOO = "github.com/jylins/videoxum README, section 4 Model Zoo (test split; ~0.1% off the paper, it says)"
PUBLISHED_V2V = (
    PublishedV2V("VTSUM-BLIP + TT", 22.4, 0.176, 0.233, VIDEOXUM_MODEL_ZOO),
    PublishedV2V("VTSUM-BLIP + TT + CA", 23.5, 0.196, 0.258, VIDEOXUM_MODEL_ZOO),
)


def nan_as_zero(value: float) -> float:
    """VideoXum's rule for an undefined rank correlation (a constant prediction or target)."""
    return 0.0 if math.isnan(value) else float(value)


def top_share_selection(scores: np.ndarray, share: float = SUMMARY_SHARE) -> np.ndarray:
    """VideoXum's predicted summary: frames scoring at least the (int(share n) + 1)-th largest score.

    Args:
        scores: Sized [n], n >= 1.
    Returns:
        Sized [n], bool.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) == 0:
        raise ValueError("no frames to select from")
    k = int(len(scores) * share)
    threshold = np.sort(scores)[::-1][k]
    return scores >= threshold


def _min_max_mean(values: Sequence[float]) -> tuple[float, float, float]:
    array = np.asarray(values, dtype=np.float64)
    return float(array.min()), float(array.max()), float(array.mean())


def _check(onehot: np.ndarray, n: int, key: str) -> np.ndarray:
    onehot = np.asarray(onehot)
    if onehot.ndim != 2 or onehot.shape[0] == 0 or onehot.shape[1] != n:
        raise ValueError(f"{key}: vsum_onehot has shape {onehot.shape}; expected (n_annotators, {n})")
    return (onehot > 0).astype(np.uint8)


def evaluate_video_v2v(scores: np.ndarray, onehot: np.ndarray, key: str = "") -> V2VVideoMetrics:
    """V2V numbers of one video's predicted frame scores (Sized [n]) against ``onehot`` (Sized [U, n])."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    onehot = _check(onehot, len(scores), key)
    selection = top_share_selection(scores)
    f1s = [f_score(selection, row[None], F1Reduction.MAX) for row in onehot]
    tau, rho = (nan_as_zero(v) for v in rank_correlation(scores, onehot.mean(axis=0)))
    each = [tuple(nan_as_zero(v) for v in rank_correlation(scores, row)) for row in onehot]
    return V2VVideoMetrics(key, *_min_max_mean(f1s), tau, rho, *_min_max_mean([t for t, _ in each]), *_min_max_mean([r for _, r in each]))


def human_v2v(onehot: np.ndarray, key: str = "") -> V2VVideoMetrics:
    """The annotators' agreement with each other, in the protocol's terms, leave-one-out.

    Each annotator u in turn is held out as the "prediction" and scored against the others:
    - F1: u's own 0/1 summary (taken as it is: it is already a selection, and the top-15% rule would
      turn a summary shorter than 15% into "every frame") against each other annotator v; per u the
      min/max/mean over the U - 1 others; the video's value is the mean of those over u.
    - tau, rho (VideoXum's target): u's 0/1 row against the mean summary of the other U - 1 (u itself
      excluded, else u would be compared with a target it is part of), NaN as 0; mean over u.
    - tau_each, rho_each: u against each other annotator, NaN as 0; min/max/mean over the others,
      then the mean over u.
    Needs U >= 2.
    """
    onehot = np.asarray(onehot)
    if onehot.ndim != 2 or onehot.shape[0] < 2:
        raise ValueError(f"{key}: the human row needs at least two annotators, got vsum_onehot of shape {onehot.shape}")
    onehot = _check(onehot, onehot.shape[1], key)
    rows = onehot.astype(np.float64)
    n_people = len(rows)
    rho_matrix = _spearman_matrix(rows)
    per_person = []
    for person in range(n_people):
        others = [other for other in range(n_people) if other != person]
        f1s = [f_score(onehot[person], onehot[other][None], F1Reduction.MAX) for other in others]
        rest = rows[others].mean(axis=0)
        tau, rho = (nan_as_zero(v) for v in rank_correlation(rows[person], rest))
        taus = [nan_as_zero(kendall_tau_b(rows[person], rows[other])) for other in others]
        rhos = [nan_as_zero(rho_matrix[person, other]) for other in others]
        per_person.append((*_min_max_mean(f1s), tau, rho, *_min_max_mean(taus), *_min_max_mean(rhos)))
    means = np.mean(np.asarray(per_person), axis=0)
    return V2VVideoMetrics(key, *(float(value) for value in means))


def _spearman_matrix(rows: np.ndarray) -> np.ndarray:
    """Spearman's rho of every pair of rows (NaN where a row is constant), by scipy."""
    if rows.shape[1] < 2:
        return np.full((len(rows), len(rows)), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = spearmanr(rows, axis=1)[0]
    return np.array([[1.0, result], [result, 1.0]]) if len(rows) == 2 else np.asarray(result)


def mean_v2v(rows: Sequence[V2VVideoMetrics]) -> V2VMeans:
    """Plain means over videos (no NaN can occur: each correlation's NaN is already 0)."""
    if not rows:
        raise ValueError("no V2V results to average")
    names = [f.name for f in fields(V2VVideoMetrics) if f.name != "key"]
    return V2VMeans(len(rows), **{name: float(np.mean([getattr(row, name) for row in rows])) for name in names})
