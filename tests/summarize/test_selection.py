import numpy as np

from evaluation.summary import generate_summary, shot_scores, summary_budget
from summarize.selection import best_stretch_inside_shots, frames_for_seconds, select_frames


def five_shot_video(seed: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """(step scores, shots, n_frames, picks): 900 frames in five shots, random scores every 15th frame."""
    n_frames = 900
    picks = np.arange(0, n_frames, 15)
    shots = np.array([[0, 99], [100, 129], [130, 399], [400, 459], [460, 899]])
    return np.random.default_rng(seed).random(len(picks)).astype(np.float32), shots, n_frames, picks


def test_knapsack_choice_is_the_evaluation_summary():
    scores, shots, n_frames, picks = five_shot_video(0)
    selection = select_frames(scores, shots, n_frames, picks, summary_budget(shots, 0.15))
    np.testing.assert_array_equal(selection.keep, generate_summary(scores, shots, n_frames, picks).astype(bool))
    assert selection.shot_scores == shot_scores(selection.frame_scores, shots)
    assert selection.fallback is None
    assert selection.keep.sum() <= selection.budget == 135


def test_one_shot_video_never_gives_an_empty_summary():
    n_frames = 600  # the case the reference turns into a 0-frame video: shots of 480 and 120 frames, budget 90
    picks = np.arange(0, n_frames, 15)
    shots = np.array([[0, 479], [480, 599]])
    scores = np.full(len(picks), 0.1, np.float32)
    scores[10:14] = 0.9  # frames 150..209 are the best part
    selection = select_frames(scores, shots, n_frames, picks, summary_budget(shots, 0.15))
    assert selection.keep.sum() == 90
    first, last = np.flatnonzero(selection.keep)[[0, -1]]
    assert (first, last) == (selection.fallback["first_frame"], selection.fallback["last_frame"])
    assert first <= 150 and last >= 209 - 30  # the window covers the high-scoring steps
    assert "longer than the budget" in selection.fallback["reason"]


def test_best_stretch_stays_inside_one_shot_and_prefers_the_earliest():
    scores = np.array([0, 0, 5, 5, 0, 5, 5, 0], dtype=np.float32)
    shots = np.array([[0, 2], [3, 7]])
    assert best_stretch_inside_shots(scores, shots, 2) == (5, 6)  # frames 2-3 score 10 too, but cross a cut
    assert best_stretch_inside_shots(np.ones(6, np.float32), np.array([[0, 5]]), 3) == (0, 2)


def test_a_length_in_frames_replaces_the_ratio():
    scores, shots, n_frames, picks = five_shot_video(1)
    selection = select_frames(scores, shots, n_frames, picks, frames_for_seconds(5.4, 30.0, n_frames))
    assert selection.budget == 162
    assert 0 < selection.keep.sum() <= 162  # (0.15 alone would allow 135)
    assert frames_for_seconds(10**6, 30.0, n_frames) == n_frames  # capped at the video
    assert frames_for_seconds(0.001, 30.0, n_frames) == 1
    assert select_frames(scores, shots, n_frames, picks, n_frames).keep.all()
