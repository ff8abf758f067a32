"""Change points straight from frame features, for videos of any length.

Two routes, chosen by ``mode``:

- ``"exact"``: the reference pipeline as it is: kernel X X^T in the features' dtype, scatter matrix,
  automatic choice of the count (kts.cpd_auto). Identical change points to the reference, with its
  rounding; memory and time grow with n^2 (and more), so use it up to a few thousand frames.
- ``"fast"``: coarse to fine. KTS runs, in float64, on every r-th frame (r chosen so that about
  ``coarse_frames`` frames remain; ``desc_rate`` tells the penalty the true length, as KTS intends
  for down-sampled descriptors); then each change point is moved, at full frame rate, to the
  position between its two coarse neighbours that minimises the scatter of the two segments it
  separates. Memory is O(n d) (prefix sums), never n x n. It may differ from the exact route: the
  count is chosen on the coarse sequence, and a cut can only be found where the coarse sequence
  changes. bench/kts.py measures the agreement; README records it.
- ``"auto"`` (default): exact up to ``exact_max_frames`` frames, fast above.
"""

from __future__ import annotations

import math

import numpy as np

from kts.auto import cpd_auto
from kts.errors import KTSInputError

EXACT_MAX_FRAMES = 2000
COARSE_FRAMES = 1000
MODES = ("auto", "exact", "fast")


def _check_features(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features)
    if features.ndim != 2:
        raise KTSInputError(f"features must be a 2-D array (frames x dims), got shape {features.shape}")
    if features.shape[0] == 0 or features.shape[1] == 0:
        raise KTSInputError(f"features are empty (shape {features.shape})")
    if not np.issubdtype(features.dtype, np.floating):
        features = features.astype(np.float32)
    if not np.isfinite(features).all():
        raise KTSInputError("features contain NaN or infinite values")
    return features


class PrefixScatter:
    """scatter(a, b) of frames a..b-1 in O(d), from float64 prefix sums (linear kernel)."""

    def __init__(self, features: np.ndarray) -> None:
        x = features.astype(np.float64)
        self.sums = np.zeros((len(x) + 1, x.shape[1]))
        np.cumsum(x, axis=0, out=self.sums[1:])
        self.norms = np.concatenate([[0.0], np.cumsum(np.einsum("ij,ij->i", x, x))])

    def __call__(self, start: np.ndarray | int, stop: np.ndarray | int) -> np.ndarray:
        start, stop = np.asarray(start), np.asarray(stop)
        total = self.sums[stop] - self.sums[start]
        length = np.maximum(stop - start, 1)
        return self.norms[stop] - self.norms[start] - np.einsum("...j,...j->...", total, total) / length


def refine_change_points(coarse_points: np.ndarray, step: int, fine_features: np.ndarray) -> np.ndarray:
    """Full-rate change points from change points found on every ``step``-th frame.

    Each coarse change point c (the segment starting at frame c * step) moves to the frame in
    ((c-1) * step, c * step] that minimises the scatter of the two segments it separates, measured
    on ``fine_features`` (one row per frame; they may be a cheaper descriptor than the coarse
    ones). Sized [m] in, Sized [m] out, increasing.
    """
    fine_features = _check_features(fine_features)
    return _refine(np.asarray(coarse_points), step, len(fine_features), PrefixScatter(fine_features))


def _refine(coarse_points: np.ndarray, step: int, n: int, scatter: PrefixScatter) -> np.ndarray:
    """Move each coarse change point c*step to the best frame in ((c-1)*step, c*step]."""
    refined: list[int] = []
    if step == 1:
        return np.asarray(coarse_points, dtype=int)
    for i, point in enumerate(coarse_points):
        low = (int(point) - 1) * step + 1
        high = min(int(point) * step, n - 1)
        left = refined[-1] if refined else 0
        right = (int(coarse_points[i + 1]) - 1) * step + 1 if i + 1 < len(coarse_points) else n
        low = max(low, left + 1)
        high = min(high, right - 1)
        if high < low:  # no room: keep the coarse position, clipped into order
            refined.append(min(max(int(point) * step, left + 1), n - 1))
            continue
        candidates = np.arange(low, high + 1)
        cost = scatter(left, candidates) + scatter(candidates, right)
        refined.append(int(candidates[np.argmin(cost)]))
    return np.asarray(refined, dtype=int)


def detect_change_points(
    features: np.ndarray,
    max_change_points: int | None = None,
    vmax: float = 1.0,
    lmin: int = 1,
    lmax: int = 100000,
    desc_rate: float = 1,
    mode: str = "auto",
    exact_max_frames: int = EXACT_MAX_FRAMES,
    coarse_frames: int = COARSE_FRAMES,
) -> np.ndarray:
    """Change points of a video from its frame features (linear kernel).

    Defaults are the reference video pipeline's call: up to n - 1 change points, vmax 1.

    Args:
        features: Sized [n, d], e.g. L2-normalised GoogLeNet features of every frame.
        max_change_points: the largest count considered (default n - 1).
        vmax, lmin, lmax, desc_rate: as kts.cpd_auto (lmin/lmax in frames).
        mode: "auto", "exact" or "fast" (see the module docstring).

    Returns:
        Sized [m], increasing: the first frame of every segment after the first.
    """
    if mode not in MODES:
        raise KTSInputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    features = _check_features(features)
    n = features.shape[0]
    ncp = n - 1 if max_change_points is None else int(max_change_points)
    if ncp > n - 1:
        raise KTSInputError(f"{n} frames allow at most {n - 1} change points, got {ncp}")
    if mode == "exact" or (mode == "auto" and n <= exact_max_frames):
        return cpd_auto(features @ features.T, ncp, vmax, desc_rate, lmin=lmin, lmax=lmax)[0]

    step = max(1, math.ceil(n / coarse_frames))
    coarse = features[::step].astype(np.float64)
    coarse_ncp = min(ncp, len(coarse) - 1)
    coarse_lmin = max(1, lmin // step)
    coarse_lmax = max(coarse_lmin, lmax // step)
    coarse_ncp = min(coarse_ncp, len(coarse) // coarse_lmin - 1)
    coarse_points, _ = cpd_auto(coarse @ coarse.T, coarse_ncp, vmax, desc_rate * step, lmin=coarse_lmin, lmax=coarse_lmax)
    if step == 1:
        return coarse_points
    return _refine(coarse_points, step, n, PrefixScatter(features))


def change_points_to_shots(change_points: np.ndarray, n_frames: int) -> np.ndarray:
    """Shots [first, last] (inclusive) from change points. Sized [m + 1, 2]."""
    starts = np.concatenate([[0], np.asarray(change_points, dtype=np.int64)])
    stops = np.concatenate([np.asarray(change_points, dtype=np.int64), [n_frames]])
    return np.stack([starts, stops - 1], axis=1)
