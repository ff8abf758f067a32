"""From step scores to a 0/1 frame-level summary (reference section 5, steps 1-5).

Pure numpy on one video. The float32 frame scores and per-shot means are kept on purpose: the
knapsack compares sums of these values, and equal rounding is what makes ties fall the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from config import SUMMARY_RATIO
from evaluation.knapsack import knapsack
from utils.errors import ProjectError


class NonFiniteScores(ProjectError, ValueError):
    """Predicted scores that are NaN or infinite: no summary can be chosen from them."""


def frame_scores(step_scores: np.ndarray, picks: np.ndarray, n_frames: int) -> np.ndarray:
    """Every frame from picks[i] up to picks[i+1] (the last step: up to n_frames) gets score i.

    Args:
        step_scores: Sized [T].
        picks: Sized [T], increasing frame indices.

    Returns:
        Sized [n_frames], float32; frames before picks[0] score 0.
    """
    bounds = np.asarray(picks, dtype=np.int64)
    if bounds[-1] != n_frames:
        bounds = np.append(bounds, n_frames)
    counts = np.diff(bounds)
    step_values = np.zeros(len(counts), dtype=np.float32)
    used = min(len(counts), len(step_scores))
    step_values[:used] = np.asarray(step_scores, dtype=np.float32)[:used]
    scores = np.zeros(n_frames, dtype=np.float32)
    scores[bounds[0]:bounds[-1]] = np.repeat(step_values, counts)
    return scores


def shot_scores(scores: np.ndarray, change_points: np.ndarray) -> list[float]:
    """Mean frame score of each shot [first, last] (inclusive), in float32 as the reference."""
    return [scores[first:last + 1].mean().item() for first, last in change_points]


def summary_budget(change_points: np.ndarray, ratio: float = SUMMARY_RATIO) -> int:
    """Frames a summary may hold: ``ratio`` (15%) of the video, rounded down (the reference's float product)."""
    return int((int(change_points[-1][1]) + 1) * ratio)


@dataclass(frozen=True)
class ShotChoice:
    """What the knapsack saw and what it kept; computed once per video and shared by every output."""

    frame_scores: np.ndarray  # Sized [n_frames], float32
    shot_scores: list[float]  # mean frame score per shot, float32 rounding
    chosen: list[int]  # indices of the kept shots, ascending


def choose_shots(step_scores: np.ndarray, change_points: np.ndarray, n_frames: int, picks: np.ndarray, budget: int) -> ShotChoice:
    """The one path from step scores to the kept shots: frame scores, shot means, a knapsack within ``budget`` frames.

    Raises:
        NonFiniteScores: the scores hold NaN or infinite values (a diverged model), which the
            knapsack would otherwise turn into an arbitrary summary.
    """
    step_scores = np.asarray(step_scores)
    if not np.isfinite(step_scores).all():
        raise NonFiniteScores("scores contain NaN or infinite values; cannot build a summary")
    change_points = np.asarray(change_points, dtype=np.int64)
    scores = frame_scores(step_scores, picks, n_frames)
    values = shot_scores(scores, change_points)
    lengths = change_points[:, 1] - change_points[:, 0] + 1
    return ShotChoice(scores, values, knapsack(budget, lengths, values))


def shots_to_summary(change_points: np.ndarray, chosen: list[int]) -> np.ndarray:
    """0/1 per frame: 1 on the chosen shots. Sized [last frame of the last shot + 1], int8."""
    change_points = np.asarray(change_points, dtype=np.int64)
    summary = np.zeros(int(change_points[-1][1]) + 1, dtype=np.int8)
    for first, last in change_points[chosen]:
        summary[first:last + 1] = 1
    return summary


def generate_summary(
    step_scores: np.ndarray, change_points: np.ndarray, n_frames: int, picks: np.ndarray, ratio: float = SUMMARY_RATIO,
) -> np.ndarray:
    """The machine summary of one video: frame scores, shot scores, knapsack at ``ratio`` (15%), 0/1 frames."""
    choice = choose_shots(step_scores, change_points, n_frames, picks, summary_budget(change_points, ratio))
    return shots_to_summary(change_points, choice.chosen)
