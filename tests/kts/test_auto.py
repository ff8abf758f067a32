"""kts/auto.py: cpd_auto (the penalised choice of count) against a plain transcription, and with segment limits."""

import numpy as np
import pytest

from kts import KTSInputError, cpd_auto, cpd_nonlin
from kts.nonlin import respects_limits
from tests.kts.plain import CASES, make_features, plain_cpd_auto, plain_cpd_nonlin


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
