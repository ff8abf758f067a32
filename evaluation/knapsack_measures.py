"""SummDiff's knapsack-aware measures of one video: WSE, CIS, WIR and IR.

Rank correlations say whether predicted scores are ordered like the ground truth; they do not say
whether the errors matter to the summary, which a 0/1 knapsack over shots picks. SummDiff (Kim et
al., arXiv 2510.08458; the authors' ``evaluate_knapsack_opt``) looks at the errors through the
ground-truth knapsack instead. Every shot is a knapsack item: its weight is its length in frames, its
value its mean ground-truth score, and the ground-truth summary says which shots are in. A shot's
error is its mean predicted score minus its mean ground-truth score. An error is *harmful* when it
pushes the shot towards the wrong side: a shot in the ground-truth summary scored too low, or a shot
left out scored too high.

- WSE (weighted score error), lower is better, >= 0: the sum over harmfully mis-scored shots of
  length x |error|, in frames x score. 0 means no shot is scored towards the wrong side.
- CIS, lower is better: the sum of the harmful |errors| (unweighted) minus the smallest loss of
  ground-truth value that flipping one of those shots would cost (flip = force a kept shot out, or a
  left-out shot in, and re-solve the knapsack). Positive: the harmful error mass exceeds the easiest
  flip's margin, errors of a size that can change the summary. With no harmful error it is minus the
  ground-truth summary's value (the most slack there is).
- IR, higher is better, in [0, 1]: the share of shots whose error leaves their ground-truth
  decision safe, i.e. the error is harmless in direction or smaller than the shot's stability margin.
  The margin of a kept shot is the larger (tighter) of two bounds: the value lost when the shot is
  forced out, and its length times the largest critical ratio (below) minus its value; of a left-out
  shot, the smaller of: the value lost when it is forced in, and its value minus its length times the
  smallest critical ratio.
- WIR, higher is better, in [0, 1]: IR with every shot weighted by its length.

The critical ratio of a shot's sub-problem is the value-per-frame ratio of the break item of the
greedy (fractional) knapsack without that shot: take the other shots by decreasing value per frame
until the budget is exceeded; the ratio of the shot that exceeds it, or -1 when none does. The
largest and smallest critical ratios are taken over all shots together with 0.

Rules taken from the authors' code, kept on purpose:

- the budget is 15% of the frames, rounded down (the summary budget of evaluation.summary);
- shots longer than the budget are left out of every sum, ratio and knapsack above (no summary can
  hold them), except the ground-truth summary's value, which counts every shot it holds;
- values are the mean ground-truth score per shot, not multiplied by length (as in the summary's
  knapsack).

Rules of ours, where the authors' code has none or a slip:

- LONG_SHOTS_ONLY: when every shot is longer than the budget, no shot is left to count: WIR and IR
  are NaN (their code divides by zero), WSE is 0 and CIS minus the ground-truth summary's value.
- A shot is in the ground-truth summary when any of its frames is (the authors' slice leaves out
  each shot's last frame, which changes the answer only for a shot whose only marked frame is its
  last one, e.g. a one-frame shot).
- Which ground-truth summary: the h5's ``gtsummary`` when the file has one (step level: a shot is in
  when a marked step is picked inside it; the authors' code indexes it by frame, which fits only
  Mr.HiSum's step-per-frame files); otherwise GTSCORE_KNAPSACK: the shots the 15% knapsack picks from the
  ground-truth scores themselves (how builder/targets.py writes ``gtsummary``, and as Mr.HiSum describes making
  its ``gt_summary``).

The knapsack is evaluation.knapsack's, whose choice among equal optima is the reference's; only the
optimum's value is used here, so the choice matters only through float rounding of equal sums.
bench/bench_knapsack_measures_vs_official.py compares these numbers with the authors' code.
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from config import SUMMARY_RATIO
from dataset.h5 import VideoRecord
from evaluation.knapsack import knapsack
from evaluation.means import MeanOver
from evaluation.summary import frame_scores, shot_scores, summary_budget

MEASURES = ("wse", "cis", "wir", "ir")  # the report's column order
LABELS = {"wse": "WSE", "cis": "CIS", "wir": "WIR", "ir": "IR"}  # the tables' column headings
DIGITS = {"wse": 2, "cis": 3, "wir": 3, "ir": 3}  # decimals the tables print
DIRECTIONS = ("SummDiff's knapsack-aware measures (docs/evaluation.md): WSE and CIS lower is better, "
              "WIR and IR higher is better")
NO_CRITICAL_ITEM = -1.0  # the ratio when the other shots all fit in the budget (the authors' value)


class TruthSource(enum.Enum):
    """Where a video's ground-truth summary comes from."""

    H5_GTSUMMARY = "h5 gtsummary"  # the data file's step-level summary
    GTSCORE_KNAPSACK = "knapsack of gtscore"  # no gtsummary: the 15% knapsack over the ground-truth shot scores


@dataclass(frozen=True)
class KnapsackMeasures:
    """The four measures of one video (or their mean); see the module docstring for what each says."""

    wse: float  # lower is better
    cis: float  # lower is better
    wir: float  # higher is better; NaN when no shot fits the budget
    ir: float  # higher is better; NaN when no shot fits the budget

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class ShotProblem:
    """One video's ground-truth knapsack and the predicted shot scores, the measures' whole input."""

    lengths: np.ndarray  # Sized [S], int64; frames per shot (the weights)
    truth: np.ndarray  # Sized [S], float64; mean ground-truth score per shot (the values)
    predicted: np.ndarray  # Sized [S], float64; mean predicted score per shot
    in_summary: np.ndarray  # Sized [S], bool; the ground-truth summary
    budget: int  # frames a summary may hold

    def __post_init__(self) -> None:
        sizes = {len(self.lengths), len(self.truth), len(self.predicted), len(self.in_summary)}
        if len(sizes) != 1:
            raise ValueError(f"lengths, truth, predicted and in_summary must have one length per shot, got {sorted(sizes)}")
        if np.any(np.asarray(self.lengths) < 1) or self.budget < 0:
            raise ValueError("every shot needs at least one frame and the budget must be >= 0")


def best_value(capacity: int, lengths: np.ndarray, values: np.ndarray) -> float:
    """The optimum of the 0/1 knapsack (evaluation.knapsack's choice), summed as a 0/1 dot product."""
    taken = np.zeros(len(lengths))
    taken[knapsack(capacity, lengths, values)] = 1.0
    return float(np.dot(taken, values))


def critical_ratio(lengths: np.ndarray, values: np.ndarray, capacity: int) -> float:
    """Value per frame of the greedy knapsack's break item (the first by decreasing ratio that overflows ``capacity``).

    NO_CRITICAL_ITEM when every item fits. Ties in ratio cannot change the answer: whichever of the tied items
    overflows, its ratio is the same.
    """
    ratios = np.asarray(values, dtype=np.float64) / np.asarray(lengths, dtype=np.float64)
    order = np.argsort(-ratios, kind="stable")
    overflow = np.cumsum(np.asarray(lengths)[order]) > capacity
    return float(ratios[order][np.argmax(overflow)]) if overflow.any() else NO_CRITICAL_ITEM


def knapsack_measures(problem: ShotProblem) -> KnapsackMeasures:
    """WSE, CIS, WIR and IR of one video's shots (definitions: the module docstring)."""
    truth_all = np.asarray(problem.truth, dtype=np.float64)
    in_all = np.asarray(problem.in_summary, dtype=bool)
    summary_value = float(np.dot(in_all.astype(np.int64), truth_all))  # every shot it holds, long ones included
    fits = np.asarray(problem.lengths) <= problem.budget
    lengths = np.asarray(problem.lengths, dtype=np.int64)[fits]
    truth, kept = truth_all[fits], in_all[fits]
    errors = np.asarray(problem.predicted, dtype=np.float64)[fits] - truth

    margins = np.zeros(len(lengths))  # value lost by flipping the shot: kept -> negative, left out -> positive
    ratios = [0.0]
    flipped_values = [0.0]  # the optimum after flipping each harmfully mis-scored shot (and 0)
    harmful = np.where(kept, errors < 0, errors > 0)
    for i in range(len(lengths)):
        others = np.arange(len(lengths)) != i
        capacity = problem.budget if kept[i] else problem.budget - int(lengths[i])
        flipped = best_value(capacity, lengths[others], truth[others]) + (0.0 if kept[i] else truth[i])
        margins[i] = flipped - summary_value if kept[i] else summary_value - flipped
        ratios.append(critical_ratio(lengths[others], truth[others], capacity))
        if harmful[i]:
            flipped_values.append(flipped)

    wse = float(np.sum(lengths[harmful] * np.abs(errors[harmful])))
    cis = float(np.sum(np.abs(errors[harmful])) - summary_value + max(flipped_values))
    if len(lengths) == 0:  # LONG_SHOTS_ONLY
        return KnapsackMeasures(wse, cis, math.nan, math.nan)
    lower = np.maximum(margins, lengths * max(ratios) - truth)  # a kept shot stays while its error is above this
    upper = np.minimum(margins, truth - lengths * min(ratios))  # a left-out shot stays out while its error is below this
    safe = np.where(kept, (errors > lower) | (errors > 0), (errors < upper) | (errors < 0))
    return KnapsackMeasures(wse, cis, float(lengths[safe].sum() / lengths.sum()), float(safe.mean()))


def shots_marked(frame_summary: np.ndarray, change_points: np.ndarray) -> np.ndarray:
    """Which shots [first, last] (inclusive) hold at least one marked frame. Sized [S], bool."""
    marked = np.concatenate([[0], np.cumsum(np.asarray(frame_summary) > 0)])
    change_points = np.asarray(change_points, dtype=np.int64)
    return marked[change_points[:, 1] + 1] > marked[change_points[:, 0]]


def step_summary_shots(step_summary: np.ndarray, video: VideoRecord) -> np.ndarray:
    """A step-level summary (Sized [T], 0/1) as shots: a shot is in when one of the steps picked inside it is marked.

    Only the picked frames count, not the frames a step's score is spread over: a marked step at the end of
    a shot would otherwise reach into the next one. With a step per frame (Mr.HiSum) this is "any frame".
    """
    frames = np.zeros(video.n_frames, dtype=np.int8)
    frames[np.asarray(video.picks, dtype=np.int64)] = np.asarray(step_summary).reshape(-1) > 0
    return shots_marked(frames, video.change_points)


def gtscore_knapsack_shots(truth: np.ndarray, lengths: np.ndarray, budget: int) -> np.ndarray:
    """GTSCORE_KNAPSACK: the shots the budgeted knapsack picks from the ground-truth shot scores. Sized [S], bool."""
    chosen = np.zeros(len(lengths), dtype=bool)
    chosen[knapsack(budget, lengths, truth)] = True
    return chosen


def shot_problem(step_scores: np.ndarray, video: VideoRecord, ratio: float = SUMMARY_RATIO) -> tuple[ShotProblem, TruthSource]:
    """The knapsack instance of one video from its predicted step scores (Sized [T]), and where its summary came from.

    Scores and ground truth reach the shots as in the summary protocol (evaluation.summary): spread from the
    steps to the frames they cover, then averaged per shot in float32.
    """
    change_points = np.asarray(video.change_points, dtype=np.int64)
    lengths = change_points[:, 1] - change_points[:, 0] + 1
    predicted = np.array(shot_scores(frame_scores(step_scores, video.picks, video.n_frames), change_points))
    truth = np.array(shot_scores(frame_scores(video.gtscore, video.picks, video.n_frames), change_points))
    budget = summary_budget(change_points, ratio)
    if video.gtsummary is not None:
        in_summary, source = step_summary_shots(video.gtsummary, video), TruthSource.H5_GTSUMMARY
    else:
        in_summary, source = gtscore_knapsack_shots(truth, lengths, budget), TruthSource.GTSCORE_KNAPSACK
    return ShotProblem(lengths, truth, predicted, in_summary, budget), source


def video_knapsack_measures(step_scores: np.ndarray, video: VideoRecord) -> KnapsackMeasures:
    """The four measures of one video's predicted step scores (Sized [T]); the one entry the reports use."""
    step_scores = np.asarray(step_scores, dtype=np.float32).reshape(-1)
    if len(step_scores) != video.n_steps:
        raise ValueError(f"{video.key}: {len(step_scores)} scores for {video.n_steps} steps")
    return knapsack_measures(shot_problem(step_scores, video)[0])


def mean_measures(rows: Sequence[KnapsackMeasures]) -> KnapsackMeasures:
    """Means over videos; a video with no shot within the budget (NaN WIR and IR) is left out of those two."""
    if not rows:
        raise ValueError("no results to average")
    table = np.array([[getattr(row, name) for name in MEASURES] for row in rows], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column of NaN only: its mean is NaN
        means = np.nanmean(table, axis=0)
    return KnapsackMeasures(*(float(value) for value in means))


def mean_measures_over(rule: MeanOver, by_split: Mapping[int, Sequence[KnapsackMeasures]]) -> KnapsackMeasures:
    """The final mean under ``rule`` (evaluation.means): of the per-split means, or over every test video."""
    if rule is MeanOver.SPLITS:
        return mean_measures([mean_measures(rows) for rows in by_split.values()])
    return mean_measures([row for rows in by_split.values() for row in rows])
