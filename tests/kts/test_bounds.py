"""The Lagrangian bounds: G computed by blocks equals the plain recurrence, it bounds every count's
cost from below, and the rows it lets cpd_auto skip never hold the chosen count."""

import numpy as np
import pytest

from kts import cpd_auto, cpd_nonlin
from kts.bounds import CountBounds, cheapest_penalised, penalties, rounding_room
from kts.scatter import end_major_scatters


def planted(rng, n, d=16, noise=0.5):
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(n - 1, int(rng.integers(0, max(2, n // 40)))), replace=False))
    x = np.repeat(np.abs(rng.standard_normal((len(cuts) + 1, d))), np.diff([0, *cuts, n]), axis=0)
    x = x + noise * np.abs(rng.standard_normal((n, d)))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def plain_penalised(dense, lam, lmin, lmax):
    """best[l] = min over t of best[t] + scatter(t..l-1) + lam, one end at a time."""
    n = dense.shape[0]
    best = np.full(n + 1, np.inf)
    best[0] = -lam
    for covered in range(lmin, n + 1):
        start, stop = max(0, covered - lmax), covered - lmin + 1
        best[covered] = np.min(best[start:stop] + dense[covered - 1, start:stop]) + lam
    return best[n]


@pytest.mark.parametrize("seed", range(30))
def test_blocks_to_a_fixed_point_equal_the_sequential_recurrence(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80)) if seed < 20 else int(rng.integers(257, 600))  # several blocks
    x = planted(rng, n)
    lmin = int(rng.integers(1, 4)) if seed % 2 else 1
    lmax = int(rng.integers(lmin, n + 2)) if seed % 3 == 0 else 100000
    if n < lmin:
        pytest.skip("shorter than one segment")
    scatters = end_major_scatters(x @ x.T, lmin, lmax)
    for lam in (0.0, 0.05, 0.4, 3.0):
        expected = plain_penalised(scatters.dense(), lam, lmin, lmax)
        assert cheapest_penalised(scatters, lam, lmin, lmax) == expected


@pytest.mark.parametrize("seed", range(10))
def test_g_bounds_every_count_from_below(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(20, 120))
    x = planted(rng, n, noise=float(rng.choice([0.2, 1.0, 3.0])))
    kernel = x @ x.T
    _, costs = cpd_nonlin(kernel, n - 1, verbose=False)  # every count, as the reference computes them
    scatters = end_major_scatters(kernel)
    magnitude = max(abs(scatters.smallest), abs(scatters.largest))
    for lam in (0.01, 0.3, 2.0):
        g = cheapest_penalised(scatters, lam, 1, 100000)
        room = rounding_room(n, magnitude + lam)
        assert np.all(costs + lam * np.arange(n) >= g - room)
        assert np.min(costs + lam * np.arange(n)) == pytest.approx(g, abs=1e-9)  # and it is the minimum


@pytest.mark.parametrize("seed", range(24))
def test_skipped_rows_never_hold_the_first_minimum(seed):
    """cpd_auto (rows stop early) against the choice over every row, on inputs where the weights act."""
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(150, 500))
    x = planted(rng, n, noise=float(rng.choice([0.3, 1.0, 3.0])))
    if seed % 4 == 0:  # many exactly equal frames: ties everywhere
        x = x[np.sort(rng.integers(0, n, n))]
    kernel = x @ x.T
    vmax = float(rng.choice([0.3, 1.0, 4.0]))
    desc_rate = int(rng.choice([1, 1, 15]))
    _, all_costs = cpd_nonlin(kernel, n - 1, verbose=False)
    chosen = int(np.argmin(all_costs / float(n) + penalties(n - 1, n, vmax, desc_rate)))
    expected, expected_costs = cpd_nonlin(kernel, chosen, verbose=False)
    points, costs = cpd_auto(kernel, n - 1, vmax, desc_rate)
    np.testing.assert_array_equal(points, expected)
    np.testing.assert_array_equal(costs, expected_costs)


def test_a_weight_settles_what_the_smallest_scatter_cannot():
    rng = np.random.default_rng(7)
    x = planted(rng, 1200, d=64, noise=0.5)
    kernel = x @ x.T
    _, costs = cpd_auto(kernel, 1199, 1.0)
    penalty = penalties(1199, 1200, 1.0)
    chosen = len(costs) - 1
    best = costs[-1] / 1200 + penalty[chosen]
    bounds = CountBounds(end_major_scatters(kernel), penalty, 1, 100000)
    assert not bounds.settled(chosen + 2, best)  # the penalty alone is still below the best total
    bounds.add_weight(0.3)
    assert bounds.settled(chosen + 2, best)
