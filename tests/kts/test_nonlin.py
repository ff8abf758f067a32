"""kts/nonlin.py: cpd_nonlin against a plain transcription of its recurrence and a brute force; bad inputs."""

import itertools

import numpy as np
import pytest

from kts import KTSInputError, cpd_auto, cpd_nonlin
from kts.nonlin import check_kernel
from tests.kts.plain import CASES, make_features, plain_cpd_nonlin


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


def test_symmetry_is_checked_in_every_block_of_rows_and_rounding_passes():
    x = np.abs(np.random.default_rng(4).standard_normal((600, 64))).astype(np.float32)
    kernel = x @ x.copy().T  # a general product: K[i, j] and K[j, i] may differ in the last bit
    assert check_kernel(kernel) is kernel
    for row, column in [(2, 590), (590, 2), (599, 300)]:  # first block, last block (600 rows: three blocks of 256)
        broken = kernel.copy()
        broken[row, column] += 0.5
        with pytest.raises(KTSInputError, match="not symmetric"):
            check_kernel(broken)


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


def test_equal_limits_leave_one_segmentation():
    x = np.random.default_rng(1).standard_normal((12, 3)).astype(np.float32)
    points, _ = cpd_auto(x @ x.T, 3, 1, lmin=3, lmax=3)
    np.testing.assert_array_equal(points, [3, 6, 9])
    points, _ = cpd_nonlin(x @ x.T, 3, lmin=3, lmax=3, verbose=False)
    np.testing.assert_array_equal(points, [3, 6, 9])
