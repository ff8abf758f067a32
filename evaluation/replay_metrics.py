"""The two published protocols of the "Most replayed" data sets (Mr.HiSum, MoSu), one video at a time.

Both score one user's curve (``gtscore``, one value per row at 1 fps) and rank 5-row clips; they differ
in nearly every detail, so each is written out here as its authors' code computes it (docs/evaluation.md):

- ``MRHISUM`` (github MRHiSum/MR.HiSum, model/solver.py and model/utils/): F1 of the 15% knapsack summary
  over the h5's change points against ``gt_summary``; mAP@50 and mAP@15 over uniform 5-row clips (the
  last one shorter) whose top ``len // 2`` and ``int(0.15 * len)`` by ground truth are the positives,
  ranked by the softmax of the predicted clip means. One checkpoint kept per metric (``<=``).
- ``TRIPLESUMM`` (github smkim37/TripleSumm, utils/compute_metrics.py and solver.py): Kendall tau and
  Spearman rho between predicted and ground-truth rows; mAP over zero-padded 5-row clips with ``ceil``
  positives, ranked by the predicted clip means. One checkpoint kept by validation tau + rho (``>``).

Units: F1 and mAP in percent, tau and rho as they come. Scores are taken as float32 first, as both
authors' models output and their loaders read them. Pure numpy and scipy, no torch.
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau, spearmanr

from evaluation.knapsack import knapsack  # the reference DP and tie rule, which is also Mr.HiSum's
from utils.errors import ProjectError

CLIP_ROWS = 5  # both protocols' clip: 5 rows (5 s at 1 fps)
SUMMARY_SHARE = 0.15  # Mr.HiSum's summary budget, floor(rows * 0.15) rows
TRIPLESUMM_BATCH = 64  # TripleSumm's evaluation batch on MoSu (its configs/mosu.yaml; 32 in configs/mrhisum.yaml)
TRIPLESUMM_PATIENCE = 10  # TripleSumm's default early-stopping patience (utils/config.py)


class NonFiniteScoresError(ProjectError, ValueError):
    """Predicted or ground-truth scores with NaN or inf: neither protocol defines a number for them."""


class NoEpochChosenError(ProjectError, ValueError):
    """No epoch qualifies for a checkpoint (every validation value NaN): the authors' code would crash there."""


@dataclass(frozen=True)
class Selection:
    """How a protocol keeps checkpoints from per-epoch validation numbers.

    Epochs are the trained ones, 0-based (TripleSumm also scores the untrained model as its "epoch 0",
    which can never be kept; it is not part of the sequence here).
    """

    checkpoints: tuple[tuple[str, tuple[str, ...]], ...]  # kept checkpoint -> the validation metrics summed to rank epochs
    later_equal_wins: bool  # True: `best <= value` replaces (Mr.HiSum); False: only `value > best` does (TripleSumm)
    start: float  # the best value before the first epoch (Mr.HiSum -1.0, TripleSumm -inf)
    patience: int | None  # stop looking after this many epochs in a row without a new best (TripleSumm's early stop)


class ReplayProtocol(enum.Enum):
    """A published evaluation protocol for the Most-replayed data sets."""

    MRHISUM = "mrhisum"  # Mr.HiSum's authors' protocol (model/solver.py, model/utils/)
    TRIPLESUMM = "triplesumm"  # TripleSumm's (utils/compute_metrics.py, solver.py)

    @property
    def title(self) -> str:
        """Words for reports: whose protocol and what it measures."""
        return _TITLES[self]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric names ``video_metrics`` returns, in report order."""
        return _METRICS[self]

    @property
    def selection(self) -> Selection:
        """How the authors' training keeps its checkpoint(s) on validation."""
        return _SELECTIONS[self]


_TITLES = {
    ReplayProtocol.MRHISUM: "Mr.HiSum protocol (F1 of the 15% knapsack summary; mAP@50/@15 over 5-s clips, last clip shorter)",
    ReplayProtocol.TRIPLESUMM: "TripleSumm protocol (Kendall tau, Spearman rho; mAP@50/@15 over zero-padded 5-s clips)",
}
_METRICS = {
    ReplayProtocol.MRHISUM: ("f1", "map50", "map15"),
    ReplayProtocol.TRIPLESUMM: ("tau", "rho", "map50", "map15"),
}
_SELECTIONS = {
    ReplayProtocol.MRHISUM: Selection(checkpoints=(("f1", ("f1",)), ("map50", ("map50",)), ("map15", ("map15",))),
                                      later_equal_wins=True, start=-1.0, patience=None),
    ReplayProtocol.TRIPLESUMM: Selection(checkpoints=(("tau+rho", ("tau", "rho")),), later_equal_wins=False, start=-math.inf,
                                         patience=TRIPLESUMM_PATIENCE),
}


# ---------------------------------------------------------------- average precision


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision as scikit-learn's ``average_precision_score`` defines it (binary, no weights).

    The sum over the distinct score thresholds, highest first, of (R_n - R_{n-1}) * P_n; tied scores
    form one threshold. The arrays are built in scikit-learn's order (thresholds reversed, a closing
    point of precision 1 and recall 0) so that the same float sum comes out. No positive label: 0.0
    (scikit-learn 1.7 returns 0.0 with a warning; 1.0.2, pinned by Mr.HiSum's environment.yml, NaN).

    Args:
        labels: Sized [N], 0/1.
        scores: Sized [N], finite.
    """
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores)
    order = np.argsort(scores, kind="mergesort")[::-1]  # descending; mergesort keeps equal scores in reverse index order, as sklearn
    ranked = scores[order]
    hits = labels[order]
    last_of_each_value = np.r_[np.flatnonzero(np.diff(ranked)), hits.size - 1]
    true_pos = np.cumsum(hits, dtype=np.float64)[last_of_each_value]
    false_pos = 1 + last_of_each_value - true_pos
    called = true_pos + false_pos
    precision = np.zeros_like(true_pos)
    np.divide(true_pos, called, out=precision, where=called != 0)
    if true_pos[-1] == 0:
        return 0.0
    recall = true_pos / true_pos[-1]
    precision = np.r_[precision[::-1], 1.0]
    recall = np.r_[recall[::-1], 0.0]
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


# ---------------------------------------------------------------- Mr.HiSum


def mrhisum_summary(pred: np.ndarray, change_points: np.ndarray) -> np.ndarray:
    """Mr.HiSum's machine summary, Sized [rows], 0/1 (their generate_summary at 1 fps).

    ``change_points`` are [start, end] rows with inclusive ends, every row in one shot. Mr.HiSum's h5
    stores a shot as [start, next shot's start] instead (their evaluate_summary fails on any video whose
    weights end - start do not add up to its rows: scipy's spearmanr of unequal lengths), so each end
    here is moved one row on first. Then, as theirs: a shot weighs end - start (its length), its value
    is the float32 mean of the rows start..end *inclusive* (its own rows and the next shot's first row),
    the budget is floor(rows * 0.15), the knapsack is the textbook table walked back from the last
    shot (``evaluation.knapsack``, the same table, float64 sums and choice among equal optima), and the
    chosen shots' runs of 1s are laid end to end.
    """
    pred = np.asarray(pred, dtype=np.float32)
    rows = len(pred)
    change_points = _checked_change_points(change_points, rows)
    starts, ends = change_points[:, 0], change_points[:, 1] + 1  # their h5's ends: the next shot's start
    values = [float(pred[start:end + 1].mean()) for start, end in zip(starts.tolist(), ends.tolist(), strict=True)]
    weights = ends - starts
    chosen = np.zeros(len(change_points), dtype=bool)
    chosen[knapsack(math.floor(rows * SUMMARY_SHARE), weights, values)] = True
    return np.repeat(chosen, weights).astype(np.int64)


def mrhisum_f1(machine: np.ndarray, gt_summary: np.ndarray) -> float:
    """F-measure in percent of two 0/1 rows, the shorter padded with zeros, as Mr.HiSum computes it.

    Precision = overlap / (sum of (S + 1e-8) over every padded row), recall likewise with G: the 1e-8
    per row is theirs (a summary's total is biased up by rows * 1e-8); the sums run left to right, as
    Python's ``sum`` does. F = 2PR * 100 / (P + R), 0 when P + R = 0.
    """
    length = max(len(machine), len(gt_summary))
    machine_rows = np.zeros(length, dtype=np.int64)
    machine_rows[:len(machine)] = machine
    gt_rows = np.zeros(length, dtype=np.int64)
    gt_rows[:len(gt_summary)] = gt_summary
    overlap = float(np.sum(machine_rows & gt_rows))
    precision = overlap / float(np.cumsum(machine_rows + 1e-8)[-1])
    recall = overlap / float(np.cumsum(gt_rows + 1e-8)[-1])
    if precision + recall == 0:
        return 0.0
    return (2 * precision * recall * 100) / (precision + recall)


def _mrhisum_clip_means(rows: np.ndarray) -> np.ndarray:
    """float32 means of consecutive 5-row clips, the last clip holding what is left (1 to 5 rows).

    Summed in the order torch 2.x sums 5 float32 values on the CPU (four accumulators, the fifth row
    added to the first: ((r0 + r4) + r1 + r2) + r3; fewer rows left to right), then divided by the
    count: the same float32 means as their torch.mean, measured bit for bit (bench/README.md). The order
    matters where scores tie in exact arithmetic (rounded scores): float32 sums in another order split
    or merge such ties and move the AP.
    """
    rows = np.asarray(rows, dtype=np.float32)
    whole = len(rows) // CLIP_ROWS * CLIP_ROWS
    clips = rows[:whole].reshape(-1, CLIP_ROWS)
    sums = (((clips[:, 0] + clips[:, 4]) + clips[:, 1]) + clips[:, 2]) + clips[:, 3]
    means = sums / np.float32(CLIP_ROWS)
    if whole < len(rows):
        left = np.float32(0.0)
        for value in rows[whole:]:
            left = np.float32(left + value)
        means = np.r_[means, left / np.float32(len(rows) - whole)]
    return means.astype(np.float32)


def _top_clips_stable(clip_scores: np.ndarray, count: int) -> np.ndarray:
    """0/1 per clip: the ``count`` highest; among equal scores the earlier clip first.

    Their code takes torch.argsort(descending=True), whose order among equal values is not defined
    (it differs between CPU and CUDA and with the length); a stable rule is the one reproducible choice.
    """
    positives = np.zeros(len(clip_scores), dtype=np.int64)
    positives[np.argsort(-clip_scores, kind="stable")[:count]] = 1
    return positives


def _mrhisum_metrics(pred: np.ndarray, gtscore: np.ndarray, gt_summary: np.ndarray | None,
                     change_points: np.ndarray | None) -> dict[str, float]:
    if gt_summary is None or change_points is None:
        raise ValueError("the Mr.HiSum protocol's F1 needs gt_summary and change_points")
    gt_summary = _checked_summary(gt_summary)
    if len(gt_summary) != len(pred):
        raise ValueError(f"gt_summary has {len(gt_summary)} rows, the scores {len(pred)}: Mr.HiSum's F1 compares them row by row "
                         "(their evaluate_summary fails on unequal lengths)")
    f1 = mrhisum_f1(mrhisum_summary(pred, change_points), gt_summary)
    gt_clips = _mrhisum_clip_means(gtscore)
    exps = np.exp(_mrhisum_clip_means(pred).astype(np.float64)).astype(np.float32)  # torch's float32 exp is (nearly always) rounded right
    ranked = exps / (exps.sum(dtype=np.float32) + np.float32(1e-7))  # their softmax, in float32: rounding may tie clips
    n_clips = len(gt_clips)
    return {
        "f1": f1,
        "map50": 100 * average_precision(_top_clips_stable(gt_clips, n_clips // 2), ranked),
        "map15": 100 * average_precision(_top_clips_stable(gt_clips, int(n_clips * 0.15)), ranked),
    }


# ---------------------------------------------------------------- TripleSumm


def _triplesumm_clip_means(rows: np.ndarray) -> np.ndarray:
    """float64 means of 5-row clips, the last one padded with zeros and still divided by 5."""
    n_clips = -(-len(rows) // CLIP_ROWS)
    return np.pad(rows, (0, n_clips * CLIP_ROWS - len(rows))).reshape(-1, CLIP_ROWS).mean(axis=1)


def _triplesumm_ap(pred_clips: np.ndarray, gt_clips: np.ndarray, share: float) -> float:
    """AP with the top ceil(clips * share) clips by ground truth as positives (always at least one).

    Equal ground-truth scores at the cut are resolved by numpy's default (unstable) argsort taken from
    the low end, as theirs: the same on a given numpy build and CPU, not across them.
    """
    count = math.ceil(len(gt_clips) * share)  # 21 clips: 4 (Mr.HiSum's int(): 3)
    positives = np.zeros(len(gt_clips))
    positives[np.argsort(gt_clips)[-count:]] = 1
    return average_precision(positives, pred_clips)


def _triplesumm_metrics(pred: np.ndarray, gtscore: np.ndarray, gt_summary: np.ndarray | None,
                        change_points: np.ndarray | None) -> dict[str, float]:
    pred, gtscore = pred.astype(np.float64), gtscore.astype(np.float64)  # their lists of Python floats
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: NaN, as theirs (ConstantInputWarning)
        tau = float(kendalltau(pred, gtscore)[0])
        rho = float(spearmanr(pred, gtscore)[0])
    pred_clips, gt_clips = _triplesumm_clip_means(pred), _triplesumm_clip_means(gtscore)
    return {"tau": tau, "rho": rho,
            "map50": 100 * _triplesumm_ap(pred_clips, gt_clips, 0.50),
            "map15": 100 * _triplesumm_ap(pred_clips, gt_clips, 0.15)}


_VIDEO_METRICS: dict[ReplayProtocol, Callable[..., dict[str, float]]] = {
    ReplayProtocol.MRHISUM: _mrhisum_metrics,
    ReplayProtocol.TRIPLESUMM: _triplesumm_metrics,
}


# ---------------------------------------------------------------- the public functions


def _checked_scores(name: str, values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float32)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be one non-empty row of scores, got shape {array.shape}")
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        raise NonFiniteScoresError(f"{name}: {bad} of {array.size} values are NaN or inf; neither protocol scores them")
    return array


def _checked_change_points(change_points: np.ndarray, rows: int) -> np.ndarray:
    """Inclusive [start, end] shots that cover 0..rows-1 in order, each row once."""
    shots = np.asarray(change_points)
    if shots.ndim != 2 or shots.shape[1] != 2 or len(shots) == 0:
        raise ValueError(f"change_points must be [start, end] rows, got shape {shots.shape}")
    shots = shots.astype(np.int64)
    covers = shots[0, 0] == 0 and shots[-1, 1] == rows - 1 and np.all(shots[1:, 0] == shots[:-1, 1] + 1)
    if not covers or np.any(shots[:, 1] < shots[:, 0]):
        raise ValueError(f"change_points must be inclusive [start, end] shots covering rows 0..{rows - 1} in order, each row once "
                         f"(next start = end + 1); got {shots[:3].tolist()}...{shots[-1].tolist()}")
    return shots


def _checked_summary(gt_summary: np.ndarray) -> np.ndarray:
    summary = np.asarray(gt_summary).reshape(-1)
    if not np.isin(summary, (0, 1)).all():
        raise ValueError("gt_summary must hold 0 or 1 per row")
    return summary.astype(np.int64)


def video_metrics(protocol: ReplayProtocol, pred: np.ndarray, gtscore: np.ndarray,
                  gt_summary: np.ndarray | None = None, change_points: np.ndarray | None = None) -> dict[str, float]:
    """One video's numbers under ``protocol`` (names: ``protocol.metrics``; F1 and mAP in percent).

    A video of 5 rows or fewer is one clip. Under MRHISUM it has no positive clip (1 // 2 = 0), and
    neither has mAP@15 for any video of up to 6 clips (30 rows): their AP is then 0 (the current
    scikit-learn's value). Under TRIPLESUMM its one clip is the positive, AP 1. Constant predictions
    give TRIPLESUMM tau and rho NaN (scipy's, as theirs); they propagate into the means.

    Args:
        protocol: which authors' protocol.
        pred: Sized [T], predicted score per row (1 fps step).
        gtscore: Sized [T], the ground-truth curve.
        gt_summary: Sized [T], 0/1 per row (MRHISUM's F1).
        change_points: Sized [S, 2], [start, end] rows with inclusive ends covering the video (MRHISUM's F1;
            see ``mrhisum_summary`` for the convention of Mr.HiSum's own h5).

    Raises:
        NonFiniteScoresError: NaN or inf in pred or gtscore.
        ValueError: lengths that disagree, or change points or gt_summary that do not fit.
    """
    pred = _checked_scores("pred", pred)
    gtscore = _checked_scores("gtscore", gtscore)
    if len(pred) != len(gtscore):
        raise ValueError(f"pred has {len(pred)} rows, gtscore {len(gtscore)}: one score per row on both sides")
    return _VIDEO_METRICS[protocol](pred, gtscore, gt_summary, change_points)


def mean_over_videos(per_video: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The mean of each metric over videos (what we report; NaN propagates)."""
    names = _common_names(per_video)
    return {name: float(np.mean([video[name] for video in per_video])) for name in names}


def batch_of_64_means(per_video: Sequence[Mapping[str, float]], batch: int = TRIPLESUMM_BATCH) -> dict[str, float]:
    """TripleSumm's own averaging: the mean of each run of ``batch`` videos (in order, the last run
    shorter), then the mean of those means; a short last batch weighs as much as a full one."""
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    names = _common_names(per_video)
    runs = [per_video[start:start + batch] for start in range(0, len(per_video), batch)]
    return {name: float(np.mean([np.mean([video[name] for video in run]) for run in runs])) for name in names}


def _common_names(per_video: Sequence[Mapping[str, float]]) -> tuple[str, ...]:
    if not per_video:
        raise ValueError("no videos to average")
    names = tuple(per_video[0])
    for index, video in enumerate(per_video):
        if set(video) != set(names):
            raise ValueError(f"video {index} has metrics {sorted(video)}, video 0 has {sorted(names)}")
    return names


def chosen_epochs(protocol: ReplayProtocol, validation: Sequence[Mapping[str, float]]) -> dict[str, int]:
    """For each checkpoint the protocol keeps, the 0-based index of the epoch kept.

    MRHISUM: "f1", "map50", "map15", each the epoch whose value is highest, a later equal one winning
    (their ``best <= value``). TRIPLESUMM: "tau+rho", the first epoch with the highest tau + rho, looking
    no further once ``patience`` epochs in a row brought no new best (their early stop). A NaN value
    never wins (every comparison with NaN is false in their code too).

    Raises:
        NoEpochChosenError: no epoch qualifies for some checkpoint (all NaN, or no epochs).
        ValueError: an epoch lacks a metric the protocol needs.
    """
    rule = protocol.selection
    chosen = {}
    for checkpoint, names in rule.checkpoints:
        best, kept, waited = rule.start, None, 0
        for epoch, numbers in enumerate(validation):
            missing = [name for name in names if name not in numbers]
            if missing:
                raise ValueError(f"validation epoch {epoch} lacks {missing} (the {protocol.value} protocol's selection needs them)")
            value = float(sum(numbers[name] for name in names))
            if (best <= value) if rule.later_equal_wins else (value > best):
                best, kept, waited = value, epoch, 0
                continue
            waited += 1
            if rule.patience is not None and waited >= rule.patience:
                break
        if kept is None:
            raise NoEpochChosenError(f"no epoch qualifies for the {checkpoint} checkpoint of the {protocol.value} protocol "
                                     f"({len(validation)} epochs, values NaN or none)")
        chosen[checkpoint] = kept
    return chosen
