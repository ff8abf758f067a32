"""Full-rate change points from change points found on every step-th frame.

Each coarse change point c (the coarse segment starting at coarse frame c, i.e. frame c * step)
moves to the frame in ((c-1) * step, c * step] that minimises the scatter of the two segments it
separates, taken from the previous refined point to the start of the next point's window: one
point at a time, left to right.

Segment limits: where lmin/lmax are given, a point may only go where the segment it closes keeps
the limits and the points after it can still keep them (intervals found right to left first), so
the result always keeps them; KTSInputError where the windows allow no such placement.
"""

from __future__ import annotations

import numpy as np

from kts.errors import KTSInputError


def check_features(features: np.ndarray) -> np.ndarray:
    """A finite, non-empty 2-D float array (frames x dims), else KTSInputError."""
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


def refine_change_points(
    coarse_points: np.ndarray, step: int, fine_features: np.ndarray, lmin: int = 1, lmax: int | None = None
) -> np.ndarray:
    """Full-rate change points from change points found on every ``step``-th frame.

    Args:
        coarse_points: Sized [m], increasing, in coarse frames (>= 1).
        step: frames per coarse frame.
        fine_features: one row per frame, Sized [n, d] (they may be a cheaper descriptor than the
            coarse ones).
        lmin, lmax: shortest and longest segment in frames (lmax None: no limit).

    Returns:
        Sized [m], increasing, in frames.
    """
    fine_features = check_features(fine_features)
    n = len(fine_features)
    return refine(np.asarray(coarse_points, dtype=np.int64), int(step), n, PrefixScatter(fine_features),
                  int(lmin), n if lmax is None else int(lmax))


def _feasible_windows(points: np.ndarray, step: int, n: int, lmin: int, lmax: int) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the frames of its window from which the later points can keep the limits."""
    low = (points - 1) * step + 1
    high = np.minimum(points * step, n - 1)
    next_low, next_high = n, n  # the end of the video, as a point that cannot move
    for i in range(len(points) - 1, -1, -1):
        low[i] = max(low[i], next_low - lmax)
        high[i] = min(high[i], next_high - lmin)
        if low[i] > high[i]:
            raise KTSInputError(
                f"change point {i + 1} of {len(points)} (coarse frame {points[i]}, step {step}) has no frame in its "
                f"window that leaves segments of {lmin}..{lmax} frames up to frame {n}"
            )
        next_low, next_high = low[i], high[i]
    first_low, first_high = (low[0], high[0]) if len(points) else (n, n)
    if max(first_low, lmin) > min(first_high, lmax):
        raise KTSInputError(f"no placement of {len(points)} change points in {n} frames keeps segments of {lmin}..{lmax} frames")
    return low, high


def refine(points: np.ndarray, step: int, n: int, scatter: PrefixScatter, lmin: int = 1, lmax: int | None = None) -> np.ndarray:
    """refine_change_points on prefix sums already built (see the module docstring)."""
    lmax = n if lmax is None else lmax
    low, high = _feasible_windows(points, step, n, lmin, lmax)
    refined: list[int] = []
    left = 0
    for i in range(len(points)):
        # the window's frames that keep this segment within limits; never empty (see _feasible_windows)
        first, last = max(int(low[i]), left + lmin), min(int(high[i]), left + lmax)
        right = (int(points[i + 1]) - 1) * step + 1 if i + 1 < len(points) else n
        candidates = np.arange(first, last + 1)
        cost = scatter(left, candidates) + scatter(candidates, right)
        left = int(candidates[np.argmin(cost)])
        refined.append(left)
    return np.asarray(refined, dtype=int)
