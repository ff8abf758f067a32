"""The end-major scatters against a plain transcription of the reference's formula, bit for bit."""

import numpy as np
import pytest

from kts.scatter import end_major_scatters, segment_scatters


def plain_reference_scatters(kernel):
    """[i, j]: scatter of frames i..j with the reference's operations, in its order (0 below the diagonal)."""
    n = kernel.shape[0]
    trace = np.cumsum(np.concatenate([[0.0], np.diag(kernel).astype(np.float64)]))
    block = np.zeros((n + 1, n + 1))
    block[1:, 1:] = np.cumsum(np.cumsum(kernel, axis=0), axis=1)  # in the kernel's dtype
    square = np.diag(block)
    start, end = np.arange(n)[:, None], np.arange(n)[None, :]
    length = (end - start + 1).astype(np.float32) + (end == start - 1).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        scatters = (trace[1:][None, :] - trace[:-1][:, None]
                    - (square[1:][None, :] + square[:-1][:, None] - block[1:, :-1].T - block[:-1, 1:]) / length)
    scatters[end < start] = 0
    return scatters


def random_kernel(rng, n, dtype):
    x = rng.standard_normal((n, int(rng.integers(1, 8))))
    if rng.random() < 0.5:
        x = np.abs(x)
    if rng.random() < 0.3:  # repeated frames: many exactly equal scatters
        x = x[rng.integers(0, max(1, n // 4), n)]
    x = (x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-10)).astype(dtype)
    return x @ x.T


# n above 256 spans several blocks of rows (65,536 entries a block)
@pytest.mark.parametrize("seed", range(40))
def test_equal_to_the_reference_formula_in_the_band(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60)) if seed < 30 else int(rng.integers(257, 420))
    kernel = random_kernel(rng, n, np.float32 if seed % 2 else np.float64)
    lmin = int(rng.integers(1, min(n, 6) + 1))
    lmax = int(rng.integers(lmin, n + 3)) if seed % 3 else None
    scatters = end_major_scatters(kernel, lmin, lmax)
    dense = scatters.dense()
    reference = plain_reference_scatters(kernel).T  # [end, start]
    length = np.arange(n)[:, None] - np.arange(n)[None, :] + 1
    band = (length >= lmin) & (length <= (n if lmax is None else lmax))
    np.testing.assert_array_equal(dense[band], reference[band])
    assert np.all(np.isposinf(dense[~band]))
    finite = dense[band]
    assert scatters.smallest == finite.min() and scatters.largest == finite.max()


def test_reference_layout():
    rng = np.random.default_rng(0)
    kernel = random_kernel(rng, 300, np.float32)
    np.testing.assert_array_equal(segment_scatters(kernel), plain_reference_scatters(kernel))


def test_blocks_hold_the_rows_and_columns_the_band_reaches():
    scatters = end_major_scatters(np.eye(700, dtype=np.float32), lmin=3, lmax=50)
    assert scatters.rows[0] == 2 and scatters.rows[-1] == 700 and len(scatters.blocks) > 1  # no segment ends before frame 2
    for (block, top, left), bottom in zip(scatters.placed(), scatters.rows[1:], strict=True):
        assert left == max(0, top + 1 - 50)  # longer segments are never read
        assert block.shape == (bottom - top, bottom - 3 + 1 - left)  # nor shorter ones
