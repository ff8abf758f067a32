"""Which frames go into the summary: the knapsack over shots, and what to do when it keeps nothing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.summary import choose_shots


@dataclass
class Selection:
    budget: int  # frames allowed
    chosen_shots: list[int]  # shot indices the knapsack kept (empty when the fallback was used)
    keep: np.ndarray  # Sized [n_frames], bool
    frame_scores: np.ndarray  # Sized [n_frames], float32
    shot_scores: list[float]  # mean frame score per shot, as the knapsack compared them
    fallback: dict | None  # what was done instead of the knapsack, and why


def best_stretch_inside_shots(scores: np.ndarray, shots: np.ndarray, length: int) -> tuple[int, int]:
    """[first, last] of the highest-scoring run of ``length`` frames that lies within one shot
    (the earliest among equals); shots shorter than ``length`` are skipped unless none is longer."""
    length = max(1, min(length, int((shots[:, 1] - shots[:, 0] + 1).max())))
    totals = np.concatenate([[0.0], np.cumsum(scores, dtype=np.float64)])
    starts = np.arange(len(scores) - length + 1)
    window = totals[starts + length] - totals[starts]
    shot_of = np.repeat(np.arange(len(shots)), shots[:, 1] - shots[:, 0] + 1)
    inside = shot_of[starts] == shot_of[starts + length - 1]
    window = np.where(inside, window, -np.inf)
    first = int(np.argmax(window))
    return first, first + length - 1


def frames_for_seconds(seconds: float, fps: float, n_frames: int) -> int:
    """A summary length in seconds as a frame budget: at least one frame, at most the whole video."""
    return max(1, min(int(seconds * fps), n_frames))


def select_frames(step_scores: np.ndarray, shots: np.ndarray, n_frames: int, picks: np.ndarray, budget: int) -> Selection:
    """The knapsack's shots within ``budget`` frames (``summary_budget`` for the reference's 15%,
    ``frames_for_seconds`` for "two minutes of this hour").

    When it keeps nothing (every shot is longer than the budget: one-shot videos, or a segmentation
    that found only a few long shots), the reference writes an empty, unplayable video. Instead we
    keep the best-scoring stretch of the budget's length inside a single shot, so the summary is
    one continuous piece of the video at its most important moment, and say so.
    """
    choice = choose_shots(step_scores, shots, n_frames, picks, budget)
    keep = np.zeros(n_frames, dtype=bool)
    for first, last in shots[choice.chosen]:
        keep[first:last + 1] = True
    fallback = None
    if not keep.any():
        first, last = best_stretch_inside_shots(choice.frame_scores, shots, budget)
        keep[first:last + 1] = True
        fallback = {
            "reason": f"every shot is longer than the budget of {budget} frames, so the knapsack kept none",
            "action": "kept the highest-scoring stretch of the budget's length inside one shot",
            "first_frame": first,
            "last_frame": last,
        }
    return Selection(budget, choice.chosen, keep, choice.frame_scores, choice.shot_scores, fallback)
