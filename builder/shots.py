"""Short clips whose every shot is longer than the summary budget: their shots cut to fit it.

A phone video or an ad of 3-5 scenes often has no shot within the 15% budget, so the knapsack keeps
nothing and every summary is empty (F1 0, correlation NaN); dataset/h5.py refuses such a video.
build_dataset.py --split-long-shots keeps it instead: each shot longer than the budget is cut into
equal pieces that fit, and the protocol (the 15% budget, the knapsack over shots) stays as it is.
Pure numpy on one video.
"""

from __future__ import annotations

import numpy as np

from builder.settings import SPLIT_FLAG
from dataset.scorable import summary_budget_frames

__all__ = ["SPLIT_FLAG", "split_long_shots"]


def split_long_shots(change_points: np.ndarray, n_frames: int) -> np.ndarray:
    """Every shot longer than the summary budget cut into the fewest equal pieces of at most the budget.

    Args:
        change_points: Sized [S, 2], shots [first, last] inclusive, covering the video.

    Returns:
        Sized [S', 2], S' >= S, covering the same frames; shots within the budget unchanged.
    """
    budget = max(1, summary_budget_frames(n_frames))
    shots = []
    for first, last in np.asarray(change_points, dtype=np.int64):
        length = int(last - first + 1)
        pieces = -(-length // budget)  # ceil
        bounds = first + (np.arange(pieces + 1) * length) // pieces  # near-equal lengths, each <= budget
        shots += [(int(a), int(b) - 1) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return np.asarray(shots, dtype=np.int64).reshape(-1, 2)
