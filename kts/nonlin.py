"""Kernel temporal segmentation for a given number of change points (Potapov et al., ECCV 2014).

The dynamic program is the classic one: best[k, l] is the smallest total scatter of the first l
frames cut by k change points. Each row is computed with numpy, a block of end frames at a time,
instead of a Python loop over l; every candidate is the same single addition as in the field's
reference code, the minimum is exact, and among equal values the earliest position wins as
there, so the costs and change points are the reference's, bit for bit.

Segment limits: the reference lets the first segment be at most lmax - 1 frames long (its first
row stops one short); the later segments may have lmax. That is kept, so that results stay the
reference's. Where it leaves no segmentation at all (for example lmin = lmax: every segment,
the first included, must have lmax frames), the reference stops on an assertion or returns change
points that break the limits; here the table is built again with the first segment allowed lmax
frames (``SegmentationTable(..., first_up_to_lmax=True)``), which finds the best segmentation
within the limits. No function here returns a segmentation that breaks them.
"""

from __future__ import annotations

import logging

import numpy as np

from kts.errors import KTSInputError
from kts.scatter import Scatters, end_major_scatters, segment_scatters

log = logging.getLogger(__name__)

# "Not reachable" in the reference's tables; kept as a number (not inf) so sums behave the same.
UNREACHABLE = 1e101


def check_kernel(kernel: np.ndarray) -> np.ndarray:
    """A square, symmetric, finite matrix with at least one row, else KTSInputError."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise KTSInputError(f"KTS needs a square kernel matrix, got shape {kernel.shape}")
    if kernel.shape[0] == 0:
        raise KTSInputError("KTS needs at least one frame, got an empty kernel")
    if not np.issubdtype(kernel.dtype, np.floating):
        kernel = kernel.astype(np.float64)
    if not np.isfinite(kernel).all():
        raise KTSInputError("the kernel matrix contains NaN or infinite values")
    # X X^T from a general matrix product (the reference multiplies two copies of X) rounds K[i, j]
    # and K[j, i] differently in the last bits: a difference within the tolerance's absolute part
    # passes in one pass over K (by blocks of rows: memory stays a fraction of K's), the element-wise
    # test below decides the rest, as before
    scale = max(float(np.abs(kernel).max()), 1e-12)
    if _largest_asymmetry(kernel) <= 1e-5 * scale:
        return kernel
    if not np.allclose(kernel, kernel.T, rtol=1e-4, atol=1e-5 * scale):
        raise KTSInputError("the kernel matrix is not symmetric")
    return kernel


def _largest_asymmetry(kernel: np.ndarray, rows: int = 256) -> float:
    """max |K[i, j] - K[j, i]|, a block of rows at a time."""
    largest = 0.0
    for top in range(0, kernel.shape[0], rows):
        difference = np.subtract(kernel[top:top + rows], kernel[:, top:top + rows].T)
        largest = max(largest, float(np.abs(difference, out=difference).max()))
    return largest


def check_segmentation(n: int, ncp: int, lmin: int, lmax: int) -> None:
    """KTSInputError unless n frames can be cut by ncp change points into lmin..lmax-frame segments."""
    if ncp < 0:
        raise KTSInputError(f"the number of change points must be >= 0, got {ncp}")
    if not 1 <= lmin <= lmax:
        raise KTSInputError(f"segment lengths need 1 <= lmin <= lmax, got lmin={lmin}, lmax={lmax}")
    if not (ncp + 1) * lmin <= n <= (ncp + 1) * lmax:
        fit = f"at most {n // lmin - 1} change points fit" if n >= lmin else f"not even one segment of {lmin} frames fits"
        raise KTSInputError(
            f"{n} frames cannot be cut by {ncp} change points into segments of {lmin}..{lmax} frames "
            f"({fit}; at least {-(-n // lmax) - 1} are needed)"
        )


def respects_limits(points: np.ndarray, n: int, lmin: int, lmax: int) -> bool:
    """Whether change points cut n frames into segments of lmin..lmax frames."""
    lengths = np.diff(np.concatenate([[0], np.asarray(points, dtype=np.int64), [n]]))
    return bool(lengths.size and lengths.min() >= lmin and lengths.max() <= lmax)


class SegmentationTable:
    """Rows of the dynamic program, computed one change point count at a time.

    Args:
        scatters: kts.scatter.end_major_scatters(kernel, lmin, lmax).
        lmin, lmax: the segment limits the scatters were masked with.
        keep_choices: keep each row's best previous change point (needed to find the points).
        first_up_to_lmax: let the first segment have lmax frames (False: lmax - 1, the reference).
    """

    def __init__(self, scatters: Scatters, lmin: int, lmax: int, keep_choices: bool, first_up_to_lmax: bool = False) -> None:
        self.n = n = scatters.n
        self.scatters = scatters
        self.lmin, self.lmax = lmin, lmax
        first = np.full(n + 1, UNREACHABLE)
        longest = min(lmax if first_up_to_lmax else lmax - 1, n)
        for block, top, left in scatters.placed():
            stop = min(top + block.shape[0], longest)  # one segment: frames 0..l-1, l = row + 1
            if left == 0 and stop > top:
                first[top + 1:stop + 1] = block[:stop - top, 0]
        self.previous = first
        self.costs = [first[n]]
        self.keep_choices = keep_choices
        self.choices: list[np.ndarray] = [np.zeros(n + 1, dtype=np.int64)]
        self.buffer = np.empty(max(block.size for block in scatters.blocks))

    @property
    def rows(self) -> int:
        return len(self.costs)

    def add_row(self) -> float:
        """best[k, :] from best[k-1, :], for the next k; returns best[k, n]."""
        k = len(self.costs)
        n, lmin, lmax = self.n, self.lmin, self.lmax
        previous = self.previous
        row = np.full(n + 1, UNREACHABLE)
        choice = np.zeros(n + 1, dtype=np.int64) if self.keep_choices else None
        # l frames covered (segment end j = l - 1, l >= (k + 1) * lmin); the last change point t
        # in [max(k * lmin, l - lmax), l - lmin], as in the reference. Entries of a block outside
        # a row's own range are +inf, so they never win.
        scatters = self.scatters
        for block, top, left in scatters.placed():
            j1 = top + block.shape[0]
            j0 = max(top, (k + 1) * lmin - 1)
            if j0 >= j1:
                continue
            t0, t1 = max(k * lmin, j0 + 1 - lmax), j1 - lmin + 1
            candidates = self.buffer[:(j1 - j0) * (t1 - t0)].reshape(j1 - j0, t1 - t0)
            np.add(block[j0 - top:, t0 - left:t1 - left], previous[t0:t1], out=candidates)
            where = candidates.argmin(axis=1)
            row[j0 + 1:j1 + 1] = candidates[np.arange(j1 - j0), where]
            if choice is not None:
                choice[j0 + 1:j1 + 1] = where + t0
        self.previous = row
        self.costs.append(row[n])
        if choice is not None:
            self.choices.append(choice)
        return row[n]

    def final_costs(self) -> np.ndarray:
        """best[k, n] for every row so far, with unreachable counts as +inf. Sized [rows]."""
        costs = np.array(self.costs)
        costs[costs > 1e99] = np.inf
        return costs

    def change_points(self, ncp: int) -> np.ndarray:
        """Walk back from the end through the stored choices of rows ncp..1. Sized [ncp]."""
        points = np.zeros(ncp, dtype=int)
        end = self.n
        for k in range(ncp, 0, -1):
            points[k - 1] = self.choices[k][end]
            end = points[k - 1]
        return points


def _run(scatters: np.ndarray, ncp: int, lmin: int, lmax: int, backtrack: bool, first_up_to_lmax: bool) -> tuple[np.ndarray, np.ndarray]:
    table = SegmentationTable(scatters, lmin, lmax, keep_choices=backtrack, first_up_to_lmax=first_up_to_lmax)
    for _ in range(ncp):
        table.add_row()
    points = table.change_points(ncp) if backtrack else np.zeros(ncp, dtype=int)
    return points, table.final_costs()


def cpd_nonlin(
    K: np.ndarray,  # noqa: N803 - the field's name for the kernel
    ncp: int,
    lmin: int = 1,
    lmax: int = 100000,
    backtrack: bool = True,
    verbose: bool = True,
    out_scatters: list | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Change points for exactly ``ncp`` cuts, and the best cost for every count 0..ncp.

    Args:
        K: kernel between frames, Sized [n, n].
        ncp: number of change points (>= 0).
        lmin, lmax: shortest and longest segment (in frames).
        backtrack: also find the change points (False: costs only).
        verbose: log progress.
        out_scatters: if a list is given, its first item receives the scatter matrix.

    Returns:
        (change points Sized [ncp]: the first frame of every segment after the first, zeros when
        backtrack is False; best costs for 0..ncp change points Sized [ncp + 1], +inf where no
        segmentation exists). The reference's results; where its change points would break the
        limits, those of the table that lets the first segment have lmax frames (module docstring).
    """
    kernel = check_kernel(K)
    ncp, lmin, lmax = int(ncp), int(lmin), int(lmax)
    n = kernel.shape[0]
    check_segmentation(n, ncp, lmin, lmax)
    if verbose:
        log.info("KTS: scatter matrix for %d frames", n)
    scatters = end_major_scatters(kernel, lmin, lmax)
    if out_scatters is not None:
        out_scatters[0] = segment_scatters(kernel)
    points, costs = _run(scatters, ncp, lmin, lmax, backtrack, first_up_to_lmax=False)
    if backtrack and not respects_limits(points, n, lmin, lmax):
        log.info("KTS: no %d-change-point segmentation with a first segment under lmax=%d; allowing lmax", ncp, lmax)
        points, costs = _run(scatters, ncp, lmin, lmax, backtrack, first_up_to_lmax=True)
    return points, costs
