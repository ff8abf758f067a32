"""builder/shots.py: a clip's shots cut to the summary budget, by a worked example."""

import numpy as np

from builder.shots import split_long_shots
from dataset.scorable import budget_problem


def test_every_shot_longer_than_the_budget_is_cut_into_the_fewest_equal_pieces():
    shots = np.array([[0, 39], [40, 99]])  # 100 frames, budget 15: 40 -> 3 pieces, 60 -> 4
    assert budget_problem(shots, 100) is not None
    cut = split_long_shots(shots, 100)
    np.testing.assert_array_equal(cut, [[0, 12], [13, 25], [26, 39], [40, 54], [55, 69], [70, 84], [85, 99]])
    assert budget_problem(cut, 100) is None


def test_shots_within_the_budget_stay_as_they_are():
    shots = np.array([[0, 9], [10, 99]])  # 10 fits the budget of 15; 90 -> 6 pieces of 15
    cut = split_long_shots(shots, 100)
    np.testing.assert_array_equal(cut[0], [0, 9])
    assert len(cut) == 7 and cut[-1, 1] == 99 and (cut[1:, 0] == cut[:-1, 1] + 1).all()
    assert ((cut[:, 1] - cut[:, 0] + 1) <= 15).all()
