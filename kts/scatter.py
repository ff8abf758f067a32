"""Within-segment scatter of every segment of a sequence, from its kernel matrix.

scatter(i..j) = (sum of K[t, t] over the segment) - (sum of the segment's K block) / length, the
kernel form of "sum of squared distances to the segment's mean".

The rounding is on purpose that of the field's reference code: the 2-D cumulative sums are taken
in the kernel's own dtype (float32 for a float32 kernel), everything else in float64, with the
same operations in the same order for every entry. The dynamic program breaks ties between equal
costs by position, so the same change points need the same rounding. For long float32 sequences
that rounding is coarse (block sums grow like n^2); kts.detect_change_points works in float64 for
them.

The dynamic program reads, for each segment end, the scatters of all the segments ending there,
so ``end_major_scatters`` lays them out in that order (row = last frame, column = first frame),
in blocks of rows that hold only the columns some row of the block may use (about half of an
n x n matrix: fresh memory costs a page fault per 4 KiB). Each entry is computed exactly as in
the reference; only the layout differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Entries per block of rows: each block's temporaries stay in the CPU's cache.
_BLOCK_ELEMENTS = 1 << 16


@dataclass(frozen=True)
class Scatters:
    """The scatter of every segment of lmin..lmax frames, end-major, in blocks of rows.

    blocks[b][r, c] is the scatter of frames first_cols[b] + c .. rows[b] + r, or +inf unless
    lmin <= length <= lmax. Block b holds rows rows[b]..rows[b + 1] - 1 and every column a row
    of it may use; entries outside the blocks are never needed (+inf).

    Attributes:
        blocks: float64 arrays, one per block of rows.
        rows: Sized [len(blocks) + 1]: first row of each block, then n.
        first_cols: Sized [len(blocks)]: the column of each block's first column.
        smallest, largest: extremes of the finite scatters.
    """

    blocks: tuple[np.ndarray, ...]
    rows: np.ndarray
    first_cols: np.ndarray
    smallest: float
    largest: float

    @property
    def n(self) -> int:
        return int(self.rows[-1])

    def placed(self) -> Iterator[tuple[np.ndarray, int, int]]:
        """(block, its first row, its first column) for every block, top to bottom."""
        return zip(self.blocks, self.rows[:-1].tolist(), self.first_cols.tolist(), strict=True)

    def dense(self) -> np.ndarray:
        """As one matrix: [j, i] = scatter of frames i..j, +inf outside the band. Sized [n, n]."""
        out = np.full((self.n, self.n), np.inf)
        for block, top, left in self.placed():
            out[top:top + block.shape[0], left:left + block.shape[1]] = block
        return out


def _block_prefix_sums(kernel: np.ndarray, overwrite: bool) -> tuple[np.ndarray, np.ndarray]:
    """(sums Sized [n, n]: sums[a, b] = sum of K[:a+1, :b+1] in the kernel's dtype, its transpose).

    As the reference: a running sum down the columns, then along the rows, each in order. Both
    layouts are needed (a segment's block sum reads sums[end, start] and sums[start, end]). The
    running sums go row by row (the same additions as cumsum, in cache order), in place, in two
    arrays (the kernel's own if ``overwrite``).
    """
    n = kernel.shape[0]
    first = kernel if overwrite else np.empty_like(kernel)
    first[0] = kernel[0]
    for row in range(1, n):  # down the columns
        np.add(first[row - 1], kernel[row], out=first[row])
    sums_t = np.ascontiguousarray(first.T)
    for row in range(1, n):  # along the rows of sums = down the columns of sums.T
        np.add(sums_t[row - 1], sums_t[row], out=sums_t[row])
    sums = first  # reused: the column sums are no longer needed
    sums[...] = sums_t.T
    return sums, sums_t


def _mask_outside(block: np.ndarray, first_end: int, first_start: int, lmin: int, lmax: int) -> float:
    """+inf in block[r, c] (the segment first_start + c .. first_end + r) unless lmin <= length <= lmax.

    Returns the largest value left (-inf if none).
    """
    ends = np.arange(first_end + 1, first_end + 1 + block.shape[0])[:, None]
    length = ends - np.arange(first_start, first_start + block.shape[1])[None, :]
    block[(length < lmin) | (length > lmax)] = np.inf
    return float(np.max(block, where=block < np.inf, initial=-np.inf))


def end_major_scatters(kernel: np.ndarray, lmin: int = 1, lmax: int | None = None, overwrite_kernel: bool = False) -> Scatters:
    """The scatter of every segment of lmin..lmax frames, end-major (see Scatters).

    The reference's scatter matrix transposed (its [i, j] is [j, i] here, bit for bit), with the
    segments the dynamic program may not use set to +inf (including every i > j).

    Args:
        kernel: Sized [n, n], n >= lmin.
        lmin, lmax: shortest and longest segment (frames); lmax None: no limit.
        overwrite_kernel: use the kernel's memory for the prefix sums (it is destroyed).
    """
    n = kernel.shape[0]
    lmax = n if lmax is None else min(int(lmax), n)
    # trace_prefix[a] = sum of K[t, t] for t < a, in float64
    trace_prefix = np.concatenate([[0.0], np.cumsum(np.diag(kernel).astype(np.float64))])
    sums, sums_t = _block_prefix_sums(kernel, overwrite_kernel)
    square_prefix = np.concatenate([[0.0], np.diag(sums).astype(np.float64)])  # sum of K[:a, :a]
    # lengths[n - 1 - j + i] = j - i + 1, as a strided view: row j counts down from j + 1
    countdown = np.arange(n, -n, -1, dtype=np.float64)
    stride = countdown.strides[0]
    lengths = np.lib.stride_tricks.as_strided(countdown[n - 1:], shape=(n, n), strides=(-stride, stride), writeable=False)

    step = max(1, _BLOCK_ELEMENTS // n)
    rows = np.append(np.arange(lmin - 1, n, step), n)
    tops, bottoms = rows[:-1], rows[1:]
    lefts = np.maximum(0, tops + 1 - lmax)  # starts left..bottom-lmin reach some row's band
    sizes = (bottoms - tops) * (bottoms - lmin + 1 - lefts)
    # one allocation for all blocks: numpy asks for 2 MiB pages from 4 MiB up, and each fresh
    # 4 KiB page costs a fault (about 1 us here, as much as the arithmetic on it)
    storage = np.empty(int(sizes.sum()))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    blocks, first_cols = [], []
    trace = np.empty(step * n)
    smallest, largest = np.inf, -np.inf
    for b, (j0, j1) in enumerate(zip(tops.tolist(), bottoms.tolist(), strict=True)):
        i0, i1 = int(lefts[b]), j1 - lmin + 1
        block = storage[offsets[b]:offsets[b + 1]].reshape(j1 - j0, i1 - i0)
        diff = trace[:block.size].reshape(block.shape)
        # (square_prefix[j+1] + square_prefix[i]) - sums[j, i-1] - sums[i-1, j], sums[-1, .] = 0
        np.add(square_prefix[j0 + 1:j1 + 1, None], square_prefix[None, i0:i1], out=block)
        first = max(i0, 1)  # start 0: the block sums at "row -1" are 0, nothing to subtract
        block[:, first - i0:] -= sums[j0:j1, first - 1:i1 - 1]
        block[:, first - i0:] -= sums_t[j0:j1, first - 1:i1 - 1]
        with np.errstate(divide="ignore", invalid="ignore"):  # i > j: masked below
            block /= lengths[j0:j1, i0:i1]
        np.subtract(trace_prefix[j0 + 1:j1 + 1, None], trace_prefix[None, i0:i1], out=diff)
        np.subtract(diff, block, out=block)
        # outside the band: too short (i > j + 1 - lmin, only near the diagonal) or too long
        # (i < j + 1 - lmax, only in the first columns); between them every row is in the band
        short = max(i0, j0 + 2 - lmin)
        long_end = min(short, max(i0, j1 - lmax))
        largest = max(largest, _mask_outside(block[:, short - i0:], j0, short, lmin, lmax))
        if long_end > i0:
            largest = max(largest, _mask_outside(block[:, :long_end - i0], j0, i0, lmin, lmax))
        if short > long_end:
            largest = max(largest, float(block[:, long_end - i0:short - i0].max()))
        smallest = min(smallest, float(block.min()))
        blocks.append(block)
        first_cols.append(i0)
    return Scatters(tuple(blocks), rows, np.array(first_cols, dtype=np.int64), smallest, largest)


def segment_scatters(kernel: np.ndarray) -> np.ndarray:
    """scatter[i, j] of the segment of frames i..j (inclusive); 0 below the diagonal. Sized [n, n].

    The reference's own layout and values (its ``calc_scatters``), float64.
    """
    scatters = end_major_scatters(kernel).dense().T.copy()
    scatters[np.isinf(scatters)] = 0
    return scatters
