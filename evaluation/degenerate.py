"""Signs that a training run produced a useless model, from its per-epoch history and its scores.

A model can train without an error and still say nothing: a sigmoid head pushed into saturation
scores every step ~0 (or ~1), its gradients vanish, the weights stop moving and the held-out
tau/rho come out the same in every epoch. The numbers in the table then look like any others.
These checks turn such runs into named findings that training writes into its table, its record
and its curve. Pure numpy on what the loop already has (no torch), so each check is testable alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SATURATION_MARGIN = 1e-6  # a score closer than this to 0 or to 1 sits on a flat part of the sigmoid
SATURATED_SHARE = 0.99  # this share of all held-out scores saturated: the model says nothing
CONSTANT_SPREAD = 1e-6  # a video whose scores span less than this is scored constantly
FROZEN_TAIL = 3  # fewest last epochs with the same held-out numbers that count as frozen (when they are half the run)


@dataclass(frozen=True)
class Finding:
    """One sign of a useless model: a stable code for tools and a sentence for people."""

    code: str  # "saturated-scores", "constant-scores", "non-finite-scores" or "frozen-metrics"
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def score_findings(scores: Sequence[np.ndarray], held_out: str = "test") -> list[Finding]:
    """Saturated or constant predicted scores over the held-out videos.

    Args:
        scores: one array per video, Sized [T], the kept model's step scores in [0, 1].
        held_out: which videos they are ("test", "validation"), for the message.
    """
    arrays = [np.asarray(video, dtype=np.float64).ravel() for video in scores]
    arrays = [video for video in arrays if video.size]
    if not arrays:
        return []
    every = np.concatenate(arrays)
    finite = every[np.isfinite(every)]
    if finite.size < every.size:
        return [Finding("non-finite-scores", f"{every.size - finite.size} of {every.size} {held_out} scores are not finite (NaN or inf): "
                                           "the model diverged")]
    saturated = np.minimum(np.abs(finite), np.abs(1.0 - finite)) < SATURATION_MARGIN
    if saturated.mean() >= SATURATED_SHARE:
        return [Finding("saturated-scores", f"{saturated.mean():.0%} of the {held_out} scores are within {SATURATION_MARGIN:g} of 0 or 1 "
                                            f"(range {finite.min():.3g} to {finite.max():.3g}): the sigmoid is saturated, the "
                                            "summaries are chosen by rounding noise and training cannot move them")]
    spreads = np.array([np.ptp(video) for video in arrays])
    if (spreads < CONSTANT_SPREAD).all():
        return [Finding("constant-scores", f"every {held_out} video's scores are constant (largest spread within a video "
                                           f"{spreads.max():.3g}): the model ranks nothing")]
    return []


def history_findings(kendall: Sequence[float], spearman: Sequence[float], f1: Sequence[float], held_out: str = "test") -> list[Finding]:
    """Held-out numbers that stopped moving: the same F1, tau and rho in every epoch (two or more), or
    in the last FROZEN_TAIL or more epochs making at least half of the run (a model that collapsed
    after its first epochs). Either the predictions stopped moving (a saturated sigmoid), or the
    summaries cannot move: F1, and tau/rho with segment labels, are measured on the 0/1 summary,
    and where only one or two shots fit the budget (clips of a few seconds) the knapsack keeps the
    same shots whatever the scores; the epoch rule then has nothing to choose from."""
    epochs = len(kendall)
    if epochs < 2:
        return []
    rows = np.column_stack([np.asarray(values, dtype=np.float64) for values in (f1, kendall, spearman)])  # Sized [epochs, 3]
    tail = 1
    while tail < epochs and _all_same(rows[epochs - tail - 1:]):
        tail += 1
    if tail < epochs and (tail < FROZEN_TAIL or 2 * tail < epochs):
        return []
    span = f"all {epochs} epochs" if tail == epochs else f"the last {tail} of {epochs} epochs (from epoch {epochs - tail + 1})"
    f1_value, tau, rho = rows[-1]
    return [Finding("frozen-metrics", f"the {held_out} F1, tau and rho were the same in {span} (F1 {f1_value:.2f}, tau {tau:.3f}, "
                                      f"rho {rho:.3f}): the summaries they are measured on did not change, because the predictions did not move "
                                      "or because few shots fit the summary budget (short videos), so that the knapsack picks the "
                                      "same shots whatever the scores")]


def _all_same(rows: np.ndarray) -> bool:
    """Every row equal to the first, NaN counting as equal to NaN. rows: Sized [N, 3]."""
    return bool(np.all((rows == rows[0]) | (np.isnan(rows) & np.isnan(rows[0]))))


def degenerate_findings(kendall: Sequence[float], spearman: Sequence[float], f1: Sequence[float],
                        scores: Sequence[np.ndarray] | None, held_out: str = "test") -> list[Finding]:
    """Every finding on one run: its history's, then its kept model's scores' (when given)."""
    return history_findings(kendall, spearman, f1, held_out) + (score_findings(scores, held_out) if scores is not None else [])
