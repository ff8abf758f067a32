"""Conditions under which a video's benchmark numbers would be undefined whatever the model predicts.

A rank correlation with a sequence that holds one value throughout is NaN, and a NaN in one video
makes its split's mean NaN without naming the video. These checks find such videos when the data is
loaded; dataset/synthetic.py uses the same checks so that it never writes one.

- SumMe-style correlation: the machine summary against the users' mean summary, so the mean must
  vary, and some shot must fit the summary budget (else every machine summary is empty).
- TVSum-style correlation: the predicted scores against each annotator's scores at the feature
  steps, so each annotator's step scores must vary.

A constant ``gtscore`` is harmless: it is only the regression target of the training loss.
"""

from __future__ import annotations

import numpy as np

from config import SUMMARY_RATIO

_UNDEFINED = "its rank correlation with any summary is undefined (NaN)"


def user_summary_problem(user_summary: np.ndarray) -> str | None:
    """Why the users' mean summary is the same at every frame, or None when it varies.

    Args:
        user_summary: Sized [n_users, n_frames], 0/1.
    """
    mean = user_summary.mean(axis=0)
    if np.ptp(mean) > 0:
        return None
    if not user_summary.any():
        return f"every user summary is empty (all {user_summary.shape[0]} rows are zero); {_UNDEFINED}"
    if user_summary.all():
        return f"every user summary selects every frame; {_UNDEFINED}"
    return f"the users' mean summary is {float(mean[0]):.3g} at every frame; {_UNDEFINED}"


def summary_budget_frames(n_frames: int) -> int:
    """Frames a summary may hold: the same rounding as evaluation.summary.summary_budget (tests compare them)."""
    return int(n_frames * SUMMARY_RATIO)


def budget_problem(change_points: np.ndarray, n_frames: int) -> str | None:
    """Why no shot fits the summary budget (every machine summary would be empty), or None.

    Args:
        change_points: Sized [S, 2], shots [first, last] inclusive.
    """
    budget = summary_budget_frames(n_frames)
    shortest = int((change_points[:, 1] - change_points[:, 0] + 1).min())
    if shortest <= budget:
        return None
    return (
        f"every shot is longer than the {SUMMARY_RATIO:.0%} summary budget ({budget} of {n_frames} frames; the shortest "
        f"shot has {shortest}): every summary is empty, its F1 0 and its rank correlation undefined (NaN)"
    )


def constant_rows(rows: np.ndarray) -> list[int]:
    """Indices of the rows that hold one value throughout. Sized [n, T] in."""
    rows = np.asarray(rows)
    return [int(i) for i in np.flatnonzero(np.ptp(rows, axis=1) == 0)]
