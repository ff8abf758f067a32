"""Shots from a video's frame analysis by either route (features.segmentation), and the model's inputs from it."""

from __future__ import annotations

import numpy as np

from features.analysis import FrameAnalysis
from features.segmentation import Segmentation
from kts import change_points_to_shots, detect_change_points, refine_change_points


def find_shots(analysis: FrameAnalysis, route: Segmentation, sample_rate: int) -> np.ndarray:
    """Shots [first, last] (inclusive) covering the video. Sized [n_shots, 2]."""
    if route is Segmentation.FULL:
        points = detect_change_points(analysis.features, mode="exact")
    else:
        coarse = detect_change_points(analysis.features, desc_rate=sample_rate)
        points = refine_change_points(coarse, sample_rate, analysis.thumbnails.astype(np.float32))
    return change_points_to_shots(points, analysis.n_frames)


def model_inputs(analysis: FrameAnalysis, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(features of every sample_rate-th frame Sized [T, 1024], their frame indices Sized [T])."""
    step = sample_rate // analysis.embed_every
    picks = np.arange(0, analysis.n_frames, sample_rate)
    return analysis.features[::step][:len(picks)], picks
