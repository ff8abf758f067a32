"""KTS with the number of change points chosen automatically (the reference's cpd_auto).

The best cost for m change points, divided by n, plus the penalty
vmax * m / (2 N) * (ln(N / m) + 1) (N: frames before any down-sampling) is minimised over
m = 0..ncp; the first minimum wins.

The reference computes the dynamic program for every m up to ncp (for a video, n - 1: cubic in
n), then runs it again for the chosen m. Here it runs once, and its rows stop as soon as no larger
m can win. That shortcut is exact: a row's cost is a sum of m + 1 segment scatters, so it is at
least (m + 1) times the smallest scatter (0 in exact arithmetic, slightly negative with rounding);
once the penalty plus that floor is above the best total found so far for every larger m, none of
them can be the first minimum.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from kts.nonlin import SegmentationTable, check_kernel, check_segmentation
from kts.scatter import segment_scatters

log = logging.getLogger(__name__)

# Room for the float64 rounding of a row's running sums when comparing totals.
_ROUNDING_SLACK = 1e-9


def penalties(ncp: int, n: int, vmax: float, desc_rate: float = 1) -> np.ndarray:
    """The model-size penalty for m = 0..ncp change points. Sized [ncp + 1]."""
    frames = n * desc_rate  # length of the video before down-sampling
    counts = np.arange(1, ncp + 1)
    result = np.zeros(ncp + 1)
    result[1:] = (vmax * counts / (2.0 * frames)) * (np.log(float(frames) / counts) + 1)
    return result


def lowest_possible_totals(scatters: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """For every m, a lower bound on the penalised total of any count >= m. Sized [len(penalty)]."""
    n = scatters.shape[0]
    smallest = min(float(scatters[np.triu_indices(n)].min()), 0.0)
    counts = np.arange(len(penalty))
    floor = penalty + (counts + 1) * smallest / float(n)
    return np.minimum.accumulate(floor[::-1])[::-1]


def choose_change_points(
    scatters: np.ndarray, ncp: int, vmax: float, desc_rate: float, lmin: int, lmax: int
) -> tuple[np.ndarray, np.ndarray]:
    """cpd_auto on a precomputed scatter matrix; see the module docstring."""
    n = scatters.shape[0]
    penalty = penalties(ncp, n, vmax, desc_rate)
    floor = lowest_possible_totals(scatters, penalty)
    table = SegmentationTable(scatters, lmin, lmax, keep_choices=True)
    best = table.final_costs()[0] / float(n) + penalty[0]
    for k in range(1, ncp + 1):
        if floor[k] > best + _ROUNDING_SLACK * (1 + abs(best)):
            log.debug("KTS: counts above %d cannot win; stopped after %d of %d rows", k - 1, k - 1, ncp)
            break
        row = table.add_row()
        cost = row[n] if row[n] <= 1e99 else np.inf
        best = min(best, cost / float(n) + penalty[k])
    costs = table.final_costs()
    chosen = int(np.argmin(costs / float(n) + penalty[:len(costs)]))
    return table.change_points(chosen), costs[:chosen + 1]


def cpd_auto(K: np.ndarray, ncp: int, vmax: float, desc_rate: float = 1, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:  # noqa: N803
    """Change points, their number chosen automatically up to ``ncp``.

    Args:
        K: kernel between frames, Sized [n, n].
        ncp: the largest number of change points to consider (at most n - 1 with lmin = 1).
        vmax: weight of the penalty (1 in the reference's video pipeline).
        desc_rate: frames of the original video per row of K.
        **kwargs: as cpd_nonlin: lmin, lmax (segment lengths in rows of K), verbose, out_scatters.

    Returns:
        (change points of the chosen count Sized [m]: first frame of every segment after the
        first; best costs for 0..m change points Sized [m + 1]) as the reference returns them.
    """
    unknown = set(kwargs) - {"lmin", "lmax", "verbose", "out_scatters"}
    if unknown:
        raise TypeError(f"cpd_auto() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    lmin, lmax = int(kwargs.get("lmin", 1)), int(kwargs.get("lmax", 100000))
    kernel = check_kernel(K)
    ncp = int(ncp)
    check_segmentation(kernel.shape[0], ncp, lmin, lmax)
    if kwargs.get("verbose", False):
        log.info("KTS: %d frames, up to %d change points", kernel.shape[0], ncp)
    scatters = segment_scatters(kernel)
    if kwargs.get("out_scatters") is not None:
        kwargs["out_scatters"][0] = scatters
    return choose_change_points(scatters, ncp, vmax, desc_rate, lmin, lmax)
