"""Change points straight from frame features, for videos of any length.

Two routes, chosen by ``mode``:

- ``"exact"``: the reference pipeline as it is: kernel X X^T in the features' dtype, scatter matrix,
  automatic choice of the count (kts.cpd_auto). Identical change points to the reference, with its
  rounding; memory grows with n^2, so use it up to several thousand frames.
- ``"fast"``: coarse to fine. KTS runs, in float64, on every r-th frame (r chosen so that about
  ``coarse_frames`` frames remain; ``desc_rate`` tells the penalty the true length, as KTS intends
  for down-sampled descriptors); then each change point is moved, at full frame rate, to the
  position between its two coarse neighbours that minimises the scatter of the two segments it
  separates (kts.refine). Memory is O(n d) (prefix sums), never n x n. It may differ from the
  exact route: the count is chosen on the coarse sequence (which holds at most about
  coarse_frames / (lmin / r) change points), and a cut can only be found where the coarse
  sequence changes. bench/bench_kts.py measures the agreement; README records it.
- ``"auto"`` (default): exact up to ``exact_max_frames`` frames, fast above.

Segment limits (lmin, lmax, in frames) hold on every route's result. A count that cannot fit
them is the same KTSInputError on every route. The fast route runs the coarse KTS with limits
whose every segmentation, kept at the coarse positions, keeps the fine limits (the last coarse
frame may stand for fewer frames than r), so its refinement always finds a placement; where no
coarse limits can do that (lmax - lmin shorter than about r), it says so.
"""

from __future__ import annotations

import math

import numpy as np

from kts.auto import auto_change_points
from kts.errors import KTSInputError
from kts.nonlin import check_segmentation, respects_limits
from kts.refine import PrefixScatter, check_features, refine

EXACT_MAX_FRAMES = 2000
COARSE_FRAMES = 1000
MODES = ("auto", "exact", "fast")


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

    Defaults are the reference video pipeline's call: as many change points as fit, vmax 1.

    Args:
        features: Sized [n, d], e.g. L2-normalised GoogLeNet features of every frame.
        max_change_points: the largest count considered (default: n // lmin - 1, all that fit;
            n - 1 with lmin = 1). A count that cannot fit lmin/lmax is a KTSInputError.
        vmax, lmin, lmax, desc_rate: as kts.cpd_auto (lmin/lmax in frames).
        mode: "auto", "exact" or "fast" (see the module docstring).

    Returns:
        Sized [m], increasing: the first frame of every segment after the first; every segment
        has lmin..lmax frames.
    """
    if mode not in MODES:
        raise KTSInputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    features = check_features(features)
    n = features.shape[0]
    lmin, lmax = int(lmin), int(lmax)
    ncp = max(n // max(lmin, 1) - 1, 0) if max_change_points is None else int(max_change_points)
    check_segmentation(n, ncp, lmin, lmax)
    if mode == "exact" or (mode == "auto" and n <= exact_max_frames):
        # Two buffers, as the reference multiplies two copies: numpy would take X @ X.T of one buffer to
        # the symmetric BLAS routine (syrk), which rounds about 7% of the entries differently.
        kernel = features @ features.copy().T
        if not np.isfinite(kernel).all():
            raise KTSInputError("the features' kernel X X^T overflows (values too large)")
        return auto_change_points(kernel, ncp, vmax, desc_rate, lmin, lmax, overwrite_kernel=True)[0]
    return _coarse_to_fine(features, ncp, vmax, lmin, lmax, desc_rate, coarse_frames)


def coarse_limits(n: int, step: int, lmin: int, lmax: int) -> tuple[int, int]:
    """Segment limits in coarse frames whose every segmentation keeps lmin..lmax frames at full rate.

    Coarse frame c stands for frames c * step.. (the last one for the `pad` frames fewer that
    n leaves); a coarse segment of L frames is L * step frames, the last one L * step - pad.
    """
    pad = math.ceil(n / step) * step - n
    shortest = max(1, math.ceil((lmin + pad) / step))
    longest = lmax // step
    if shortest > longest:
        raise KTSInputError(
            f"the fast route keeps one frame in {step} of {n} frames, too coarse for segments of {lmin}..{lmax} frames "
            f"(no coarse length fits); use mode='exact' or a larger coarse_frames"
        )
    return shortest, longest


def _coarse_to_fine(
    features: np.ndarray, ncp: int, vmax: float, lmin: int, lmax: int, desc_rate: float, coarse_frames: int
) -> np.ndarray:
    n = features.shape[0]
    step = max(1, math.ceil(n / coarse_frames))
    coarse = features[::step].astype(np.float64)
    shortest, longest = coarse_limits(n, step, lmin, lmax)
    coarse_ncp = min(ncp, len(coarse) // shortest - 1)  # what the coarse sequence can hold
    if not (coarse_ncp + 1) * shortest <= len(coarse) <= (coarse_ncp + 1) * longest:
        raise KTSInputError(
            f"the fast route's {len(coarse)} coarse frames (one in {step}) cannot hold segments of "
            f"{shortest}..{longest} coarse frames with at most {coarse_ncp} change points; use mode='exact'"
        )
    coarse_points, _ = auto_change_points(coarse @ coarse.T, coarse_ncp, vmax, desc_rate * step, shortest, longest,
                                          overwrite_kernel=True)
    if step == 1:
        return coarse_points
    points = refine(coarse_points, step, n, PrefixScatter(features), lmin, lmax)
    assert respects_limits(points, n, lmin, lmax), "refinement broke the segment limits"
    return points


def change_points_to_shots(change_points: np.ndarray, n_frames: int) -> np.ndarray:
    """Shots [first, last] (inclusive) from change points. Sized [m + 1, 2]."""
    starts = np.concatenate([[0], np.asarray(change_points, dtype=np.int64)])
    stops = np.concatenate([np.asarray(change_points, dtype=np.int64), [n_frames]])
    return np.stack([starts, stops - 1], axis=1)
