"""Shots from a video's frame analysis: the reference route and the fast one."""

from __future__ import annotations

import enum

import numpy as np

from kts import change_points_to_shots, detect_change_points, refine_change_points
from summarize.analysis import FrameAnalysis


class Segmentation(enum.Enum):
    """How shots are found.

    FULL: the reference route: KTS on the GoogLeNet features of EVERY frame (exact KTS, the
    reference's rounding), so every frame must be embedded. KTS's float32 sums and tie-breaking
    see a difference of one rounding in the features, so they must be the reference's bit for bit:
    the frames go through the network in batches run with the reference's one-frame kernels
    (features.exact_trunk), which makes the features, and so the shots, bit-identical to it.
    FAST: KTS on the GoogLeNet features the model reads anyway (every sample_rate-th frame, with
    desc_rate telling KTS the real length), then each boundary placed at full frame rate where a
    12 x 8 colour thumbnail of every frame changes most (kts.refine_change_points).
    """

    FULL = "full"
    FAST = "fast"

    @property
    def embed_every(self) -> int | None:
        """Frames between embedded frames; None: the model's sample rate."""
        return 1 if self is Segmentation.FULL else None

    def frames_between_embeddings(self, sample_rate: int) -> int:
        """``embed_every``, the model's sample rate where that is None."""
        return self.embed_every or sample_rate

    def default_batch_size(self, device_type: str) -> int:
        """Frames per network call unless the user says (both routes batch; the full route's batches are exact).

        CUDA: 64. CPU: the fast route's two-thread batches are no faster above 8; the full route's
        single-threaded workers run 4 at a time, whose activations (13 MB each at the first
        convolution) share the cache better than 8's: 11.0 against 11.4 ms a frame on two cores
        (bench/README.md)."""
        if device_type == "cuda":
            return 64
        return 4 if self is Segmentation.FULL else 8


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
