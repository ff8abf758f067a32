"""Lower bounds on the penalised totals of change point counts whose rows are not computed yet.

kts.cpd_auto picks the first count m minimising total(m) = cost(m) / n + penalty(m), where cost(m)
is the last entry of row m of the dynamic program. Rows cost O(n^2) each, so it stops adding rows
once no larger count can be that first minimum: once a lower bound on total(m') is above the best
total found so far, for every m' not computed. Two bounds, both on the costs as the table
computes them in float64:

- every segment's scatter is at least the smallest one, so cost(m') >= (m' + 1) * smallest;
- Lagrangian: for any weight lam >= 0, cost(m') + lam * m' >= G(lam), the cheapest segmentation
  with any number of segments when each change point costs lam (one O(n^2) pass, any count), so
  cost(m') >= G(lam) - lam * m'. With the penalty's concave growth, a few weights bound every
  larger count tightly; the first bound alone cannot when float32 rounding makes short segments'
  scatters negative (n in the thousands), and then every count would be computed.

Float64 rounding: every cost and G is a chain of at most 2 (n + 1) additions of terms at most
``magnitude`` in size, so it is within (n + 1)^2 * 2^-52 * magnitude * 2 of the exact sum of its
terms (and the table's minima only ever pick smaller chains); ``rounding_room`` is five times
that, so the bounds hold on the computed values.
"""

from __future__ import annotations

import numpy as np

from kts.scatter import Scatters


def penalties(ncp: int, n: int, vmax: float, desc_rate: float = 1) -> np.ndarray:
    """The model-size penalty for m = 0..ncp change points, as the reference. Sized [ncp + 1]."""
    frames = n * desc_rate  # length of the video before down-sampling
    counts = np.arange(1, ncp + 1)
    result = np.zeros(ncp + 1)
    result[1:] = (vmax * counts / (2.0 * frames)) * (np.log(float(frames) / counts) + 1)
    return result


def rounding_room(n: int, magnitude: float) -> float:
    """Room for float64 rounding in any cost or G, in cost units (see the module docstring)."""
    return 5.0 * (n + 1) ** 2 * np.finfo(np.float64).eps * magnitude


def cheapest_penalised(scatters: Scatters, lam: float, lmin: int, lmax: int) -> float:
    """G(lam): the least cost + lam * (change points) over segmentations of lmin..lmax frames.

    best[l] = min over t of best[t] + scatter(t..l-1) + lam, for the first l frames (the first
    segment may have lmax frames: a superset of what the table allows, so still a lower bound).
    A block of ends at a time: first from the starts before the block (final already), then the
    starts inside it, again until nothing changes. The fixed point is the sequential recurrence's
    result, bit for bit (adding lam after or before the minimum gives the same number), and each
    pass settles at least one more end; few are needed, since cuts are rare within a block.

    Args:
        scatters: kts.scatter.end_major_scatters(kernel, lmin, lmax).
        lam: the cost of one change point.
        lmin, lmax: segment limits.
    """
    n = scatters.n
    best = np.full(n + 1, np.inf)
    best[0] = -lam  # so that n frames pay lam once per change point, not per segment
    buffer = np.empty(max(block.size for block in scatters.blocks))
    for block, top, left in scatters.placed():
        bottom = top + block.shape[0]  # ends top..bottom-1: best[top + 1..bottom]
        settled = min(top + 1, block.shape[1] + left)  # starts < settled are final
        ends = best[top + 1:bottom + 1]
        outside = block[:, :settled - left]
        sums = buffer[:outside.size].reshape(outside.shape)
        np.add(outside, best[left:settled], out=sums)
        np.add(sums.min(axis=1), lam, out=ends)
        inside = block[:, settled - left:]  # starts settled..bottom-lmin, computed in this block
        sums = buffer[:inside.size].reshape(inside.shape)
        while inside.shape[1]:
            np.add(inside, best[settled:settled + inside.shape[1]], out=sums)
            again = np.minimum(ends, sums.min(axis=1) + lam)
            if np.array_equal(again, ends):
                break
            ends[:] = again
    return float(best[n])


class CountBounds:
    """Lower bounds on total(m) for m = 0..ncp, tightened as Lagrangian weights are added.

    Args:
        scatters: kts.scatter.end_major_scatters(kernel, lmin, lmax).
        penalty: penalties(ncp, ...), Sized [ncp + 1].
        lmin, lmax: segment limits.
    """

    def __init__(self, scatters: Scatters, penalty: np.ndarray, lmin: int, lmax: int) -> None:
        self.scatters, self.penalty, self.lmin, self.lmax = scatters, penalty, lmin, lmax
        self.n = scatters.n
        self.smallest = min(scatters.smallest, 0.0)
        self.largest = max(scatters.largest, 0.0)
        self.counts = np.arange(len(penalty))
        self.floor = penalty + (self.counts + 1) * self.smallest / float(self.n)
        self.weights: list[float] = []

    def add_weight(self, lam: float) -> None:
        """Tighten the bounds with G(lam) (one pass over the scatters)."""
        g = cheapest_penalised(self.scatters, lam, self.lmin, self.lmax)
        self.floor = np.maximum(self.floor, self.penalty + (g - lam * self.counts) / float(self.n))
        self.weights.append(lam)

    def room(self) -> float:
        """Rounding room of every bound, per frame (the units of total)."""
        magnitude = max(self.largest, -self.smallest) + max(self.weights, default=0.0)
        return rounding_room(self.n, magnitude) / float(self.n)

    def settled(self, first: int, best: float) -> bool:
        """Whether no count >= first can have a total <= best (so none can be the first minimum)."""
        if first >= len(self.floor):
            return True
        # rounding of total = cost / n + penalty, and of the floor's own few operations
        size = 1.0 + abs(best) + float(np.abs(self.penalty).max()) + 2.0 * abs(self.smallest)
        slack = 8 * np.finfo(np.float64).eps * size
        lowest = float(self.floor[first:].min())
        return lowest > best + slack and lowest - self.room() > best + slack
