"""Refinement of coarse change points: the one-point-at-a-time rule, and segment limits kept."""

import numpy as np
import pytest

from kts import KTSInputError, refine_change_points
from kts.nonlin import respects_limits


def scatter(x, a, b):
    segment = x[a:b].astype(np.float64)
    return float(((segment - segment.mean(axis=0)) ** 2).sum()) if b > a else 0.0


def plain_refine(coarse, step, x):
    """The rule without limits, as loops: each point to the frame of its window ((c-1)*step, c*step]
    that minimises the scatter from the previous refined point to the start of the next window."""
    n, refined, left = len(x), [], 0
    for i, c in enumerate(coarse):
        right = (coarse[i + 1] - 1) * step + 1 if i + 1 < len(coarse) else n
        window = range(max((c - 1) * step + 1, left + 1), min(c * step, n - 1) + 1)
        costs = [scatter(x, left, p) + scatter(x, p, right) for p in window]
        left = window[int(np.argmin(costs))]
        refined.append(left)
    return np.array(refined, dtype=int)


def video(rng, n, d=6):
    cuts = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(1, 8)), replace=False))
    x = np.repeat(rng.standard_normal((len(cuts) + 1, d)), np.diff([0, *cuts, n]), axis=0)
    return (x + 0.3 * rng.standard_normal((n, d))).astype(np.float32)


def coarse_points(rng, n, step):
    """Increasing coarse change points, 1 to 6 coarse frames apart, inside the coarse sequence."""
    rows = -(-n // step)
    points, position = [], 0
    while True:
        position += int(rng.integers(1, 7))
        if position >= rows:
            return np.array(points, dtype=int)
        points.append(position)


@pytest.mark.parametrize("seed", range(25))
def test_without_limits_the_rule_is_the_plain_one(seed):
    rng = np.random.default_rng(seed)
    n, step = int(rng.integers(60, 400)), int(rng.integers(1, 9))
    x = video(rng, n)
    coarse = coarse_points(rng, n, step)
    np.testing.assert_array_equal(refine_change_points(coarse, step, x), plain_refine(coarse, step, x))


@pytest.mark.parametrize("seed", range(25))
def test_limits_hold_inside_the_windows(seed):
    """Coarse points that keep the limits where they stand (as the fast route makes them): the
    refined ones keep them too, each inside its window."""
    rng = np.random.default_rng(100 + seed)
    step = int(rng.integers(2, 9))
    lmin = int(rng.integers(1, 4 * step))
    lmax = int(rng.integers(lmin + 2 * step, lmin + 40 * step))
    shortest, longest = -(-lmin // step), lmax // step
    coarse = np.cumsum(rng.integers(shortest, longest + 1, size=int(rng.integers(1, 12))))
    n = int(coarse[-1]) * step + int(rng.integers(lmin, lmax + 1))
    points = refine_change_points(coarse, step, video(rng, n), lmin=lmin, lmax=lmax)
    assert respects_limits(points, n, lmin, lmax)
    assert np.all(points > (coarse - 1) * step) and np.all(points <= coarse * step)


def test_a_short_segment_is_lengthened():
    """Without limits the cut goes where the frames change (frame 12); lmin 15 moves it to 15."""
    x = np.concatenate([np.zeros((12, 2)), np.ones((48, 2))]).astype(np.float32)
    np.testing.assert_array_equal(refine_change_points(np.array([3]), 5, x), [12])
    np.testing.assert_array_equal(refine_change_points(np.array([3]), 5, x, lmin=15), [15])


def test_no_placement_is_an_error():
    x = np.zeros((40, 2), np.float32)
    with pytest.raises(KTSInputError, match="keeps segments of 15..100 frames"):
        refine_change_points(np.array([1]), 5, x, lmin=15, lmax=100)  # the first window ends at frame 5
    with pytest.raises(KTSInputError, match="change point 1 of 2 .* has no frame in its window"):
        refine_change_points(np.array([4, 5]), 5, x, lmin=11)  # windows (15, 20] and (20, 25]
