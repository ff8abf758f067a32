import numpy as np
import pytest

from builder.labels import ScoreLabels, SegmentLabels
from builder.targets import MAX_TRIM_FRAMES, fit_length, score_targets, segment_frames, segment_targets
from dataset.errors import DataError
from evaluation.summary import choose_shots, shots_to_summary, summary_budget
from tests.builder.helpers import facts, make_part


def test_seconds_to_frames_at_a_non_integer_rate():
    times = np.arange(300) / 29.97  # frame 30 starts at 1.001 s, frame 29 at 0.968 s
    chosen, note = segment_frames([(1.0, 2.0)], times, "test", "a")
    assert note is None
    np.testing.assert_array_equal(np.flatnonzero(chosen), np.arange(30, 60))  # 59 starts at 1.969 s, 60 at 2.002 s


def test_whole_seconds_at_30_fps_are_exact_frames():
    chosen, _ = segment_frames([(2.0, 3.0)], np.arange(150) / 30.0, "test", "a")
    np.testing.assert_array_equal(np.flatnonzero(chosen), np.arange(60, 90))


def test_overlapping_segments_and_annotator_counts():
    part = make_part("v", n_frames=300)  # 30 fps, 10 s
    labels = SegmentLabels({"a": [(1.0, 2.0), (1.5, 2.5)], "b": [(1.5, 2.0)], "c": [(9.0, 9.5)]})
    targets = segment_targets(labels, facts(part), "test")
    user_summary = targets.fields["user_summary"]
    assert user_summary.shape == (3, 300)
    np.testing.assert_array_equal(np.flatnonzero(user_summary[0]), np.arange(30, 75))  # union, each frame once
    np.testing.assert_array_equal(np.flatnonzero(user_summary[1]), np.arange(45, 60))
    # gtscore: the share of annotators choosing each pick
    expected = user_summary.mean(axis=0)[part.picks]
    np.testing.assert_array_equal(targets.fields["gtscore"], expected)
    assert targets.fields["gtscore"][3] == pytest.approx(2 / 3)  # frame 45: a and b
    assert targets.fields["gtsummary"].shape == (len(part.picks),)


def test_segment_past_the_end_is_clipped_and_reported_and_one_after_it_refused():
    times = np.arange(90) / 30.0  # 3 s
    chosen, note = segment_frames([(2.5, 4.0)], times, "test", "a")
    assert chosen[75:].all() and not chosen[:75].any()
    assert "ends at 4 s, after the video (3.000 s); clipped" in note
    with pytest.raises(DataError, match="starts after the video ends"):
        segment_frames([(3.5, 4.0)], times, "test", "a")


def test_user_summaries_from_scores_are_the_protocol_s_knapsack():
    part = make_part("v")
    labels = ScoreLabels(np.random.default_rng(3).integers(1, 6, (4, part.n_frames)).astype(float))
    targets = score_targets(labels, facts(part), "test")
    for row, summary in zip(labels.scores, targets.fields["user_summary"], strict=True):
        choice = choose_shots(row, part.change_points, part.n_frames, np.arange(part.n_frames), summary_budget(part.change_points))
        np.testing.assert_array_equal(summary, shots_to_summary(part.change_points, choice.chosen))
        assert summary.sum() <= 0.15 * part.n_frames
    mean = labels.scores.mean(axis=0)[part.picks]
    np.testing.assert_allclose(targets.fields["gtscore"], (mean - mean.min()) / (mean.max() - mean.min()), rtol=1e-6)
    np.testing.assert_array_equal(targets.fields["user_scores"], labels.scores.astype(np.float32))


def test_lengths_a_few_frames_off_are_trimmed_or_padded_and_reported():
    scores = np.arange(12, dtype=float).reshape(2, 6)
    fitted, note = fit_length(scores, 4, "test")
    np.testing.assert_array_equal(fitted, scores[:, :4])
    assert "the last 2 trimmed" in note
    fitted, note = fit_length(scores, 8, "test")
    np.testing.assert_array_equal(fitted[:, 6:], [[5, 5], [11, 11]])
    assert "padded" in note
    assert fit_length(scores, 6, "test") == (scores, None)


def test_labels_at_another_frame_rate_are_resampled():
    scores = np.repeat(np.array([[1.0, 2.0, 3.0]]), 100, axis=1)  # 300 frames at 15 fps for a 600-frame 30 fps video
    fitted, note = fit_length(scores, 600, "test")
    assert fitted.shape == (1, 600) and "resampled" in note
    np.testing.assert_array_equal(fitted[0, ::2], scores[0])
    with pytest.raises(DataError, match="not for this video"):
        fit_length(scores, 300 * 20, "test")
    assert MAX_TRIM_FRAMES >= 1
