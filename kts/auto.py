"""KTS with the number of change points chosen automatically (the reference's cpd_auto).

The best cost for m change points, divided by n, plus the penalty
vmax * m / (2 N) * (ln(N / m) + 1) (N: frames before any down-sampling) is minimised over
m = 0..ncp; the first minimum wins.

The reference computes the dynamic program for every m up to ncp (for a video, n - 1: cubic in
n), then runs it again for the chosen m. Here it runs once, and its rows stop as soon as no larger
m can be the first minimum, which kts.bounds proves from lower bounds on the costs of the rows
not computed (exact: the rows that are computed are the reference's, and the chosen count is
the same).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from kts.bounds import CountBounds, penalties
from kts.nonlin import SegmentationTable, check_kernel, check_segmentation, respects_limits
from kts.scatter import Scatters, end_major_scatters, segment_scatters

log = logging.getLogger(__name__)

__all__ = ["auto_change_points", "choose_change_points", "cpd_auto", "penalties"]

# Rows left below which computing Lagrangian bounds (about one row's work each) does not pay.
_FEW_ROWS = 4


def _weights(penalty: np.ndarray, n: int, best_count: int, rows: int, tail_done: bool) -> list[float]:
    """Lagrangian weights to try after ``rows`` rows, best count so far ``best_count``.

    A weight lam bounds the counts above m* well while lam is below the penalty's average slope
    from m* (times n: cost units) and above what each further change point saves; the penalty is
    concave, so the slope to the last count (ncp) sets the weight for the far counts, the slope
    to the current row the one for the near counts.
    """
    ncp = len(penalty) - 1
    near = 0.7 * n * (penalty[rows] - penalty[best_count]) / (rows - best_count)
    tail = 0.6 * n * (penalty[ncp] - penalty[best_count]) / (ncp - best_count)
    chosen = [] if tail_done else [tail]
    chosen.append(near)
    return [float(lam) for lam in chosen if np.isfinite(lam) and lam > 0]


def choose_change_points(
    scatters: Scatters, ncp: int, vmax: float, desc_rate: float, lmin: int, lmax: int, first_up_to_lmax: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """cpd_auto on kts.scatter.end_major_scatters(kernel, lmin, lmax); see the module docstring.

    Returns:
        (change points Sized [m], best costs for 0..m change points Sized [m + 1]).
    """
    n = scatters.n
    penalty = penalties(ncp, n, vmax, desc_rate)
    table = SegmentationTable(scatters, lmin, lmax, keep_choices=True, first_up_to_lmax=first_up_to_lmax)
    bounds: CountBounds | None = None
    best, best_count = _total(table.costs[0], n, penalty[0]), 0
    next_weights_at = 2
    while table.rows <= ncp:
        if np.isfinite(best):
            bounds = bounds or CountBounds(scatters, penalty, lmin, lmax)
            if bounds.settled(table.rows, best):
                break
        k = table.rows
        total = _total(table.add_row(), n, penalty[k])
        if total < best:
            best, best_count = total, k
        if bounds is not None and k >= max(best_count + 1, next_weights_at) and ncp - k > _FEW_ROWS:
            for lam in _weights(penalty, n, best_count, k, tail_done=bool(bounds.weights)):
                bounds.add_weight(lam)
                if bounds.settled(k + 1, best):
                    break
            next_weights_at = 2 * k
    log.debug("KTS: %d of %d rows computed, %d Lagrangian weights", table.rows - 1, ncp,
              len(bounds.weights) if bounds else 0)
    costs = table.final_costs()
    chosen = int(np.argmin(costs / float(n) + penalty[:len(costs)]))
    return table.change_points(chosen), costs[:chosen + 1]


def _total(cost: float, n: int, penalty: float) -> float:
    """cost / n + penalty, as the reference computes it (unreachable: +inf)."""
    return np.inf if cost > 1e99 else cost / float(n) + penalty


def auto_change_points(
    kernel: np.ndarray, ncp: int, vmax: float, desc_rate: float, lmin: int, lmax: int, overwrite_kernel: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """cpd_auto on a checked kernel (finite, square; lmin/lmax/ncp fit), without the checks.

    The reference's answer; where it has none within the limits (it stops on an assertion), the
    best one with the first segment allowed lmax frames (see kts.nonlin).

    Args:
        overwrite_kernel: the kernel's memory may hold intermediate sums (it is destroyed).
    """
    n = kernel.shape[0]
    scatters = end_major_scatters(kernel, lmin, lmax, overwrite_kernel=overwrite_kernel)
    points, costs = choose_change_points(scatters, ncp, vmax, desc_rate, lmin, lmax)
    if not respects_limits(points, n, lmin, lmax):
        log.info("KTS: no segmentation with a first segment under lmax=%d; allowing lmax", lmax)
        points, costs = choose_change_points(scatters, ncp, vmax, desc_rate, lmin, lmax, first_up_to_lmax=True)
    return points, costs


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
    if kwargs.get("out_scatters") is not None:
        kwargs["out_scatters"][0] = segment_scatters(kernel)
    return auto_change_points(kernel, ncp, vmax, desc_rate, lmin, lmax)
