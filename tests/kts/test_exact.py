"""The fast exact KTS against a plain transcription of its definition, on many small inputs."""

import itertools

import numpy as np
import pytest

from kts import KTSInputError, cpd_auto, cpd_nonlin
from kts.scatter import segment_scatters


def plain_cpd_nonlin(kernel, ncp, lmin=1, lmax=100000):
    """The recurrence written as loops: best[k][l] = min over t of best[k-1][t] + scatter(t..l-1)."""
    n = kernel.shape[0]
    scatter = segment_scatters(kernel)
    unreachable = 1e101
    best = [[unreachable] * (n + 1) for _ in range(ncp + 1)]
    choice = [[0] * (n + 1) for _ in range(ncp + 1)]
    for length in range(lmin, min(lmax, n + 1)):
        best[0][length] = scatter[0, length - 1]
    for k in range(1, ncp + 1):
        for covered in range((k + 1) * lmin, n + 1):
            options = [(best[k - 1][t] + scatter[t, covered - 1], t)
                       for t in range(max(k * lmin, covered - lmax), covered - lmin + 1)]
            value = min(v for v, _ in options)
            best[k][covered] = value
            choice[k][covered] = next(t for v, t in options if v == value)  # the earliest
    points, end = [], n
    for k in range(ncp, 0, -1):
        end = choice[k][end]
        points.insert(0, end)
    costs = np.array([best[k][n] for k in range(ncp + 1)])
    costs[costs > 1e99] = np.inf
    return np.array(points, dtype=int), costs


def plain_cpd_auto(kernel, ncp, vmax, desc_rate=1):
    n = kernel.shape[0]
    _, costs = plain_cpd_nonlin(kernel, ncp)
    frames = n * desc_rate
    penalty = np.array([0.0] + [(vmax * m / (2.0 * frames)) * (np.log(float(frames) / m) + 1) for m in range(1, ncp + 1)])
    chosen = int(np.argmin(costs / float(n) + penalty))
    return plain_cpd_nonlin(kernel, chosen)


def make_features(kind, n, d, rng):
    if kind == "random":
        x = rng.standard_normal((n, d))
    elif kind == "planted":
        cuts = sorted(rng.choice(np.arange(1, n), size=min(n - 1, int(rng.integers(0, 5))), replace=False)) if n > 1 else []
        x = np.repeat(rng.standard_normal((len(cuts) + 1, d)), np.diff([0, *cuts, n]), axis=0)
        x = x + 0.2 * rng.standard_normal((n, d))
    elif kind == "constant":
        x = np.ones((n, d))
    else:  # "ties": few distinct binary frames, many exactly equal costs
        x = rng.integers(0, 2, (n, d)).astype(float)
    x = x.astype(np.float32)
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-10)


CASES = [(kind, seed) for kind in ("random", "planted", "constant", "ties") for seed in range(25)]


@pytest.mark.parametrize("kind, seed", CASES)
def test_cpd_nonlin_equals_the_plain_recurrence(kind, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    x = make_features(kind, n, int(rng.integers(1, 6)), rng)
    kernel = x @ x.T
    lmin = int(rng.integers(1, 4)) if seed % 3 == 0 else 1
    lmax = int(rng.integers(max(lmin, 3), 12)) if seed % 4 == 0 else 100000
    feasible = [m for m in range(n) if (m + 1) * lmin <= n <= (m + 1) * lmax]
    if not feasible:
        pytest.skip("no feasible count for this draw")
    ncp = int(rng.choice(feasible))
    points, costs = cpd_nonlin(kernel, ncp, lmin=lmin, lmax=lmax, verbose=False)
    plain_points, plain_costs = plain_cpd_nonlin(kernel, ncp, lmin, lmax)
    np.testing.assert_array_equal(points, plain_points)
    np.testing.assert_array_equal(costs, plain_costs)


@pytest.mark.parametrize("kind, seed", CASES)
def test_cpd_auto_equals_the_plain_definition(kind, seed):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(1, 40))
    x = make_features(kind, n, int(rng.integers(1, 6)), rng)
    kernel = x @ x.T
    vmax = float(rng.choice([0.1, 1.0, 5.0]))
    points, costs = cpd_auto(kernel, n - 1, vmax)
    plain_points, plain_costs = plain_cpd_auto(kernel, n - 1, vmax)
    np.testing.assert_array_equal(points, plain_points)
    np.testing.assert_array_equal(costs, plain_costs)


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_sequences(n):
    x = np.ones((n, 4), np.float32)
    points, costs = cpd_auto(x @ x.T, n - 1, 1)
    assert points.size == 0 and costs.shape == (1,)


def test_constant_sequence_has_no_change_point():
    x = np.ones((50, 8), np.float32) / np.sqrt(8)
    points, costs = cpd_auto(x @ x.T, 49, 1)
    assert points.size == 0
    assert costs[0] == pytest.approx(0, abs=1e-6)


def test_planted_segments_are_found():
    rng = np.random.default_rng(7)
    x = np.repeat(rng.standard_normal((4, 16)), [30, 12, 40, 18], axis=0) + 0.05 * rng.standard_normal((100, 16))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    points, _ = cpd_auto(x @ x.T, 99, 1)
    np.testing.assert_array_equal(points, [30, 42, 82])


def brute_force(x, ncp):
    """Definition: the cheapest way to cut x into ncp + 1 segments, by trying every cut."""
    n = len(x)

    def scatter(a, b):
        seg = x[a:b].astype(np.float64)
        return float(((seg - seg.mean(axis=0)) ** 2).sum())

    return min(
        (sum(scatter(a, b) for a, b in itertools.pairwise([0, *cuts, n])), cuts)
        for cuts in itertools.combinations(range(1, n), ncp)
    )


@pytest.mark.parametrize("seed", range(20))
def test_dynamic_program_finds_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 10))
    x = make_features("planted" if seed % 2 else "random", n, 3, rng).astype(np.float64)
    for ncp in range(n):
        points, costs = cpd_nonlin(x @ x.T, ncp, verbose=False)
        best, _ = brute_force(x, ncp)
        assert costs[ncp] == pytest.approx(best, abs=1e-9)
        achieved = brute_force(x, 0)[0] if ncp == 0 else sum(
            float(((s - s.mean(axis=0)) ** 2).sum()) for s in np.split(x, points))
        assert achieved == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("kernel, message", [
    (np.zeros((0, 0)), "at least one frame"),
    (np.zeros((3, 4)), "square"),
    (np.zeros(5), "square"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), "NaN"),
    (np.array([[1.0, 0.9], [0.1, 1.0]]), "not symmetric"),
])
def test_bad_kernels(kernel, message):
    with pytest.raises(KTSInputError, match=message):
        cpd_auto(kernel, 0, 1)


def test_too_many_change_points():
    kernel = np.eye(5)
    with pytest.raises(KTSInputError, match="at most 4 change points"):
        cpd_nonlin(kernel, 5)
    with pytest.raises(KTSInputError, match="at most 4 change points"):
        cpd_auto(kernel, 7, 1)
    with pytest.raises(KTSInputError, match=">= 0"):
        cpd_nonlin(kernel, -1)
    with pytest.raises(KTSInputError, match="lmin"):
        cpd_nonlin(kernel, 1, lmin=3, lmax=2)
