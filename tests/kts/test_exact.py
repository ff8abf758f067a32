"""The fast exact KTS against a plain transcription of its definition, on many small inputs."""

import itertools

import numpy as np
import pytest

from kts import KTSInputError, cpd_auto, cpd_nonlin
from kts.nonlin import respects_limits
from kts.scatter import segment_scatters


def plain_cpd_nonlin(kernel, ncp, lmin=1, lmax=100000, first_longest=None):
    """The recurrence written as loops: best[k][l] = min over t of best[k-1][t] + scatter(t..l-1).

    The first segment has at most first_longest frames: lmax - 1 as in the reference (its first
    row stops one short), or lmax.
    """
    n = kernel.shape[0]
    scatter = segment_scatters(kernel)
    unreachable = 1e101
    best = [[unreachable] * (n + 1) for _ in range(ncp + 1)]
    choice = [[0] * (n + 1) for _ in range(ncp + 1)]
    first_longest = lmax - 1 if first_longest is None else first_longest
    for length in range(lmin, min(first_longest, n) + 1):
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


def plain_cpd_auto(kernel, ncp, vmax, desc_rate=1, lmin=1, lmax=100000, first_longest=None):
    n = kernel.shape[0]
    _, costs = plain_cpd_nonlin(kernel, ncp, lmin, lmax, first_longest)
    frames = n * desc_rate
    penalty = np.array([0.0] + [(vmax * m / (2.0 * frames)) * (np.log(float(frames) / m) + 1) for m in range(1, ncp + 1)])
    chosen = int(np.argmin(costs / float(n) + penalty))
    return plain_cpd_nonlin(kernel, chosen, lmin, lmax, first_longest)


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


LIMIT_CASES = [(kind, seed) for kind in ("random", "planted", "constant", "ties") for seed in range(40)]


@pytest.mark.parametrize("kind, seed", LIMIT_CASES)
def test_limits_hold_and_valid_reference_answers_are_kept(kind, seed):
    """Random lmin/lmax: the reference's answer where it keeps the limits, else the best one that does."""
    rng = np.random.default_rng(5000 + seed)
    n = int(rng.integers(1, 30))
    x = make_features(kind, n, int(rng.integers(1, 5)), rng)
    kernel = x @ x.T
    lmin = int(rng.integers(1, 5))
    lmax = int(rng.integers(lmin, max(lmin, n) + 2))
    feasible = [m for m in range(n) if (m + 1) * lmin <= n <= (m + 1) * lmax]
    if not feasible:
        with pytest.raises(KTSInputError, match="cannot be cut"):
            cpd_auto(kernel, max(n - 1, 0), 1, lmin=lmin, lmax=lmax)
        return
    auto_ncp = max(feasible)
    vmax = float(rng.choice([0.1, 1.0, 5.0]))
    checks = [
        (cpd_auto(kernel, auto_ncp, vmax, lmin=lmin, lmax=lmax),
         lambda first: plain_cpd_auto(kernel, auto_ncp, vmax, 1, lmin, lmax, first)),
    ]
    ncp = int(rng.choice(feasible))
    checks.append((cpd_nonlin(kernel, ncp, lmin, lmax, verbose=False),
                   lambda first: plain_cpd_nonlin(kernel, ncp, lmin, lmax, first)))
    for (points, costs), plain in checks:
        assert respects_limits(points, n, lmin, lmax)
        reference_points, reference_costs = plain(None)
        if not respects_limits(reference_points, n, lmin, lmax):  # the reference asserts, or breaks them
            reference_points, reference_costs = plain(lmax)
        np.testing.assert_array_equal(points, reference_points)
        np.testing.assert_array_equal(costs, reference_costs)


def test_two_frames_of_one_frame_each():
    """The reference finds no count (its first segment stops one short of lmax) and fails; the answer is [1]."""
    points, costs = cpd_auto(np.eye(2, dtype=np.float32), 1, 1, lmin=1, lmax=1)
    np.testing.assert_array_equal(points, [1])
    np.testing.assert_array_equal(costs, [np.inf, 0.0])


def test_equal_limits_leave_one_segmentation():
    x = np.random.default_rng(1).standard_normal((12, 3)).astype(np.float32)
    points, _ = cpd_auto(x @ x.T, 3, 1, lmin=3, lmax=3)
    np.testing.assert_array_equal(points, [3, 6, 9])
    points, _ = cpd_nonlin(x @ x.T, 3, lmin=3, lmax=3, verbose=False)
    np.testing.assert_array_equal(points, [3, 6, 9])
