"""Kernel temporal segmentation for a given number of change points (Potapov et al., ECCV 2014).

The dynamic program is the classic one: best[k, l] is the smallest total scatter of the first l
frames cut by k change points. Each row is computed at once with numpy instead of a Python loop
over l; the values, and the choice among equal values (the earliest position), are the same as
the field's reference code, so the change points are too.
"""

from __future__ import annotations

import logging

import numpy as np

from kts.errors import KTSInputError
from kts.scatter import segment_scatters

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
    scale = max(float(np.abs(kernel).max()), 1e-12)
    if not np.allclose(kernel, kernel.T, rtol=1e-4, atol=1e-5 * scale):
        raise KTSInputError("the kernel matrix is not symmetric")
    return kernel


def check_segmentation(n: int, ncp: int, lmin: int, lmax: int) -> None:
    if ncp < 0:
        raise KTSInputError(f"the number of change points must be >= 0, got {ncp}")
    if not 1 <= lmin <= lmax:
        raise KTSInputError(f"segment lengths need 1 <= lmin <= lmax, got lmin={lmin}, lmax={lmax}")
    if not (ncp + 1) * lmin <= n <= (ncp + 1) * lmax:
        raise KTSInputError(
            f"{n} frames cannot be cut by {ncp} change points into segments of {lmin}..{lmax} frames "
            f"(at most {max(n // lmin - 1, 0)} change points fit)"
        )


def banded_scatters(scatters: np.ndarray, lmin: int, lmax: int) -> np.ndarray:
    """scatters with +inf wherever segment i..j is shorter than lmin or longer than lmax."""
    n = scatters.shape[0]
    span = np.arange(n)[None, :] - np.arange(n)[:, None]  # j - i = length - 1
    return np.where((span >= lmin - 1) & (span <= lmax - 1), scatters, np.inf)


class SegmentationTable:
    """Rows of the dynamic program, computed one change point count at a time."""

    def __init__(self, scatters: np.ndarray, lmin: int, lmax: int, keep_choices: bool) -> None:
        self.n = scatters.shape[0]
        self.lmin = lmin
        self.banded = banded_scatters(scatters, lmin, lmax)
        first = np.full(self.n + 1, UNREACHABLE)
        first[lmin:lmax] = scatters[0, lmin - 1:lmax - 1]  # one segment: frames 0..l-1
        self.rows = [first]
        self.keep_choices = keep_choices
        self.choices: list[np.ndarray] = [np.zeros(self.n + 1, dtype=np.int64)]

    def add_row(self) -> np.ndarray:
        """best[k, :] from best[k-1, :], for the next k; returns it."""
        k = len(self.rows)
        previous = self.rows[-1]
        row = np.full(self.n + 1, UNREACHABLE)
        low = k * self.lmin  # the k-th change point cannot come earlier
        first_end = (k + 1) * self.lmin  # nor can the frames covered end earlier
        if first_end <= self.n:
            # candidates[t, l-1]: last change point at t, l frames covered
            candidates = self.banded[low:, first_end - 1:] + previous[low:self.n, None]
            where = np.argmin(candidates, axis=0)
            best = candidates[where, np.arange(candidates.shape[1])]
            reachable = np.isfinite(best)
            row[first_end:][reachable] = best[reachable]
            if self.keep_choices:
                choice = np.zeros(self.n + 1, dtype=np.int64)
                choice[first_end:] = where + low
                self.choices.append(choice)
        elif self.keep_choices:
            self.choices.append(np.zeros(self.n + 1, dtype=np.int64))
        self.rows.append(row)
        return row

    def final_costs(self) -> np.ndarray:
        """best[k, n] for every row so far, with unreachable counts as +inf."""
        costs = np.array([row[self.n] for row in self.rows])
        costs[costs > 1e99] = np.inf
        return costs

    def change_points(self, ncp: int) -> np.ndarray:
        """Walk back from the end through the stored choices of rows ncp..1."""
        points = np.zeros(ncp, dtype=int)
        end = self.n
        for k in range(ncp, 0, -1):
            points[k - 1] = self.choices[k][end]
            end = points[k - 1]
        return points


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
        segmentation exists).
    """
    kernel = check_kernel(K)
    ncp = int(ncp)
    check_segmentation(kernel.shape[0], ncp, lmin, lmax)
    if verbose:
        log.info("KTS: scatter matrix for %d frames", kernel.shape[0])
    scatters = segment_scatters(kernel)
    if out_scatters is not None:
        out_scatters[0] = scatters
    table = SegmentationTable(scatters, lmin, lmax, keep_choices=backtrack)
    for _ in range(ncp):
        table.add_row()
    points = table.change_points(ncp) if backtrack else np.zeros(ncp, dtype=int)
    return points, table.final_costs()
