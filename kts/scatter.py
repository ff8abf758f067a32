"""Within-segment scatter of every segment of a sequence, from its kernel matrix."""

from __future__ import annotations

import numpy as np


def segment_scatters(kernel: np.ndarray) -> np.ndarray:
    """scatter[i, j] of the segment of frames i..j (inclusive); 0 below the diagonal.

    scatter = (sum of K[t, t] over the segment) - (sum of the segment's K block) / length, the
    kernel form of "sum of squared distances to the segment's mean".

    The rounding is on purpose that of the field's reference code: the 2-D cumulative sums are
    taken in the kernel's own dtype (float32 for a float32 kernel), everything else in float64.
    The dynamic program breaks ties between equal costs by position, so the same change points
    need the same rounding. For long float32 sequences that rounding is coarse (block sums grow
    like n^2); kts.detect_change_points works in float64 for them.

    Args:
        kernel: Sized [n, n].

    Returns:
        Sized [n, n], float64.
    """
    n = kernel.shape[0]
    # trace_prefix[a] = sum of K[t, t] for t < a
    trace_prefix = np.concatenate([[0.0], np.cumsum(np.diag(kernel).astype(np.float64))])
    # block_prefix[a, b] = sum of K[:a, :b], accumulated in the kernel's dtype
    block_prefix = np.zeros((n + 1, n + 1))
    block_prefix[1:, 1:] = np.cumsum(np.cumsum(kernel, axis=0), axis=1)
    square_prefix = np.diag(block_prefix)

    start = np.arange(n)[:, None]
    stop = np.arange(1, n + 1)[None, :]  # one past the segment's last frame
    trace = trace_prefix[stop] - trace_prefix[start]
    block = square_prefix[stop] + square_prefix[start]
    block = block - block_prefix[1:, :-1].T  # block_prefix[stop, start]
    block = block - block_prefix[:-1, 1:]  # block_prefix[start, stop]
    # float32 lengths, as in the reference; the empty segment (stop == start) divides by 1 instead of 0
    length = (stop - start).astype(np.float32) + (stop == start).astype(np.float32)
    scatters = trace - block / length
    scatters[stop <= start] = 0
    return scatters
