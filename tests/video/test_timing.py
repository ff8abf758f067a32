"""FrameClock: each frame's own time, and telling constant-rate videos from variable-rate ones."""

from fractions import Fraction

import numpy as np
import pytest

from video.timing import FrameClock


def test_constant_rate_times_give_the_exact_nominal_clock():
    times = 1.5 + np.arange(90) / 30 + np.random.default_rng(0).uniform(-0.005, 0.005, 90)  # timestamp jitter
    clock = FrameClock.from_times(times, Fraction(30))
    assert clock.constant_rate
    np.testing.assert_allclose(clock.starts, times[0] + np.arange(90) / 30)
    assert clock.total_seconds == pytest.approx(3.0)


def test_variable_rate_keeps_each_frame_s_time_and_duration():
    times = np.concatenate([np.arange(30) / 30, 1 + np.arange(10) / 10])
    clock = FrameClock.from_times(times, Fraction(40, 2))
    assert not clock.constant_rate
    np.testing.assert_allclose(clock.starts, times)
    assert clock.durations[:29] == pytest.approx(np.full(29, 1 / 30))
    assert clock.durations[30:39] == pytest.approx(np.full(9, 0.1))
    assert clock.durations[-1] == pytest.approx(1 / 20)  # the last frame lasts one nominal frame
    keep = np.zeros(40, bool)
    keep[30:35] = True
    assert clock.kept_seconds(keep) == pytest.approx(0.5)
    assert clock.seconds_from_first(30) == pytest.approx(1.0) and clock.end(39) == pytest.approx(1.95)


def test_missing_and_repeated_times_are_filled_from_the_previous_frame():
    times = np.array([0.0, 0.1, np.nan, 0.2, 0.2, 1.0])
    clock = FrameClock.from_times(times, Fraction(10))
    np.testing.assert_allclose(clock.starts, [0.0, 0.1, 0.2, 0.3, 0.4, 1.0])
    assert (clock.durations > 0).all() and not clock.constant_rate
