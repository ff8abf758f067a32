import numpy as np
import pytest

from evaluation.summary import NonFiniteScores, choose_shots, frame_scores, generate_summary, shot_scores, summary_budget
from tests.evaluation.test_knapsack import reference_rule


def test_frame_scores_fill_until_next_pick_and_last_step_to_the_end():
    scores = frame_scores(np.array([0.1, 0.5, 0.9]), np.array([0, 3, 6]), n_frames=8)
    np.testing.assert_array_equal(scores, np.float32([0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.9, 0.9]))
    assert scores.dtype == np.float32


def test_frames_before_the_first_pick_score_zero():
    scores = frame_scores(np.array([0.4, 0.8]), np.array([2, 4]), n_frames=6)
    np.testing.assert_array_equal(scores, np.float32([0, 0, 0.4, 0.4, 0.8, 0.8]))


def test_shot_boundaries_are_inclusive():
    scores = np.float32([1, 1, 0, 0, 0, 4])
    assert shot_scores(scores, np.array([[0, 1], [2, 4], [5, 5]])) == [1.0, 0.0, 4.0]


def test_budget_is_fifteen_percent_rounded_down_of_the_covered_frames():
    assert summary_budget(np.array([[0, 99]])) == 15
    assert summary_budget(np.array([[0, 9], [10, 59]])) == 9  # 60 * 0.15 = 9.0
    assert summary_budget(np.array([[0, 5]])) == 0


def test_summary_of_a_hand_made_video():
    # 40 frames, picks every 5 frames (8 steps), four shots of 10 frames; budget int(40 * .15) = 6.
    picks = np.arange(0, 40, 5)
    change_points = np.array([[0, 9], [10, 14], [15, 19], [20, 39]])
    steps = np.array([0.1, 0.1, 0.9, 0.2, 0.3, 0.3, 0.3, 0.3])
    # shot scores: 0.1, 0.9 (frames 10-14), 0.2, 0.3; lengths 10, 5, 5, 20 -> only shot 1 fits with the best value
    choice = choose_shots(steps, change_points, 40, picks, budget=summary_budget(change_points))
    assert choice.chosen == [1]
    assert np.allclose(choice.shot_scores, [0.1, 0.9, 0.2, 0.3])
    summary = generate_summary(steps, change_points, 40, picks)
    expected = np.zeros(40, dtype=np.int8)
    expected[10:15] = 1
    np.testing.assert_array_equal(summary, expected)


def test_summary_length_follows_the_last_shot_and_every_shot_too_long_gives_empty_summary():
    picks = np.array([0, 15, 30])
    change_points = np.array([[0, 19], [20, 44]])
    summary = generate_summary(np.array([0.9, 0.5, 0.1]), change_points, 45, picks)
    assert summary.shape == (45,)
    assert summary.sum() == 0  # both shots are longer than int(45 * .15) = 6 frames


def test_non_finite_scores_are_refused():
    with pytest.raises(NonFiniteScores, match="NaN"):
        choose_shots(np.array([0.1, np.nan]), np.array([[0, 9]]), 10, np.array([0, 5]), budget=2)


def reference_summary(step_scores, change_points, n_frames, picks):
    """The reference implementation's summary written out plainly: float32 frame scores filled
    from each pick to the next (the last step to the end), shot means as numpy's float32 mean turned
    into Python floats, a budget of int((last frame + 1) * 0.15), its knapsack, 0/1 frames."""
    scores = np.zeros(n_frames, dtype=np.float32)
    bounds = [int(p) for p in picks]
    if bounds[-1] != n_frames:
        bounds.append(n_frames)
    for i in range(len(bounds) - 1):
        for frame in range(bounds[i], bounds[i + 1]):
            scores[frame] = step_scores[i] if i < len(step_scores) else 0
    lengths = [int(last - first + 1) for first, last in change_points]
    values = [scores[first:last + 1].mean().item() for first, last in change_points]
    video_end = int(change_points[-1][1]) + 1
    summary = np.zeros(video_end, dtype=np.int8)
    for shot in reference_rule(int(video_end * 0.15), lengths, values):
        summary[change_points[shot][0]:change_points[shot][1] + 1] = 1
    return summary


def random_video(rng):
    """Picks every 15th frame, shots of 3-60 frames covering the video, float32 step scores with many ties."""
    n_frames = int(rng.integers(16, 600))
    picks = np.arange(0, n_frames, 15)
    cuts = np.cumsum(rng.integers(3, 61, n_frames))
    cuts = cuts[cuts < n_frames]
    change_points = np.stack([np.concatenate([[0], cuts]), np.concatenate([cuts - 1, [n_frames - 1]])], axis=1)
    levels = int(rng.choice([3, 5, 1000]))  # few levels: shots often tie
    steps = (rng.integers(0, levels, len(picks)) / (levels - 1)).astype(np.float32)
    return steps, change_points, n_frames, picks


def test_same_summary_as_the_reference_rule_on_random_videos():
    rng = np.random.default_rng(0)
    for case in range(600):
        steps, change_points, n_frames, picks = random_video(rng)
        np.testing.assert_array_equal(generate_summary(steps, change_points, n_frames, picks),
                                      reference_summary(steps, change_points, n_frames, picks), err_msg=f"case {case}")
