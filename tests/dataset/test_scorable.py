"""The load-time checks against the evaluation itself: a video is refused exactly when its numbers
would be NaN (or its summaries empty) whatever the model predicts."""

import math

import numpy as np
import pytest

from dataset.scorable import budget_problem, constant_rows, summary_budget_frames, user_summary_problem
from evaluation.metrics import rank_correlation
from evaluation.summary import generate_summary, summary_budget


def _constant_mean_user_summaries(rng, n_frames):
    """User summaries whose mean is the same at every frame: nobody, everybody, and k layers of a partition."""
    yield np.zeros((4, n_frames), np.uint8)
    yield np.ones((3, n_frames), np.uint8)
    for layers in (1, 2, 3):
        for n_parts in (2, 3, 5):
            rows = []
            for _ in range(layers):
                cuts = np.sort(rng.choice(np.arange(1, n_frames), n_parts - 1, replace=False))
                for part in np.split(np.arange(n_frames), cuts):
                    row = np.zeros(n_frames, np.uint8)
                    row[part] = 1
                    rows.append(row)
            yield np.stack(rows)


def test_user_summary_refused_exactly_when_the_correlation_is_nan():
    rng = np.random.default_rng(0)
    cases = list(_constant_mean_user_summaries(rng, 40))
    cases += [(rng.random((rng.integers(1, 6), 40)) < rng.random()).astype(np.uint8) for _ in range(300)]
    machine = np.zeros(40, np.int8)
    machine[5:11] = 1  # any summary that is not constant
    refused = 0
    for users in cases:
        undefined = math.isnan(rank_correlation(machine, users.mean(axis=0))[0])
        assert (user_summary_problem(users) is not None) == undefined, users
        refused += undefined
    assert refused >= len(list(_constant_mean_user_summaries(rng, 40)))


def test_budget_is_the_evaluations_budget():
    for n_frames in [1, 2, 6, 7, 19, 20, 21, 100, 1000, 4495, 10597, 27000]:
        assert summary_budget_frames(n_frames) == summary_budget(np.array([[0, n_frames - 1]]))


def test_budget_refused_exactly_when_every_summary_is_empty():
    rng = np.random.default_rng(1)
    seen = {True: 0, False: 0}
    for _ in range(300):
        n_frames = int(rng.integers(20, 400))
        n_shots = int(rng.integers(1, 8))
        cuts = np.sort(rng.choice(np.arange(1, n_frames), n_shots - 1, replace=False))
        starts = np.concatenate([[0], cuts])
        change_points = np.stack([starts, np.append(cuts - 1, n_frames - 1)], axis=1)
        picks = np.arange(0, n_frames, 15)
        scores = rng.random(len(picks)).astype(np.float32) + 0.01
        empty = not generate_summary(scores, change_points, n_frames, picks).any()
        assert (budget_problem(change_points, n_frames) is not None) == empty, change_points
        seen[empty] += 1
    assert seen[True] > 10 and seen[False] > 10


def test_constant_rows_are_the_rows_whose_correlation_is_nan():
    rng = np.random.default_rng(2)
    prediction = rng.random(30)
    rows = np.round(rng.random((200, 30)) * rng.integers(1, 4, (200, 1))) / 4  # few levels, so some rows are constant
    rows[:5] = rows[:5, :1]
    nan_rows = [i for i, row in enumerate(rows) if math.isnan(rank_correlation(prediction, row)[0])]
    assert constant_rows(rows) == nan_rows and len(nan_rows) >= 5


@pytest.mark.parametrize("users, message", [
    (np.zeros((3, 10)), "every user summary is empty"),
    (np.ones((2, 10)), "selects every frame"),
    (np.array([[1] * 5 + [0] * 5, [0] * 5 + [1] * 5]), "mean summary is 0.5 at every frame"),
])
def test_user_summary_messages(users, message):
    assert message in user_summary_problem(users)
