import numpy as np
import pytest

from config import DATASETS, F1Reduction
from dataset.h5 import VideoRecord
from evaluation.metrics import f_score, rank_correlation
from evaluation.protocol import MeanMetrics, VideoMetrics, evaluate_video, mean_metrics


def test_f_score_by_hand():
    machine = np.array([1, 1, 0, 0, 0, 0])
    users = np.array([[1, 0, 0, 0, 0, 0],  # P = 1/2, R = 1 -> 66.67
                      [0, 0, 1, 1, 0, 0]])  # no overlap -> 0
    assert f_score(machine, users, F1Reduction.MAX) == pytest.approx(200 / 3)
    assert f_score(machine, users, F1Reduction.MEAN) == pytest.approx(100 / 3)


def test_f_score_pads_the_shorter_summary():
    # user summary longer than the machine's: the extra user frames count against recall
    assert f_score(np.array([1, 1]), np.array([[1, 1, 1, 1]]), F1Reduction.MAX) == pytest.approx(2 * 1 * 0.5 / 1.5 * 100)
    assert f_score(np.array([1, 1, 1, 1]), np.array([[1, 1]]), F1Reduction.MAX) == pytest.approx(2 * 0.5 * 1 / 1.5 * 100)


def test_f_score_is_zero_for_empty_summaries():
    assert f_score(np.zeros(5), np.array([[1, 0, 0, 0, 0]]), F1Reduction.MAX) == 0.0
    assert f_score(np.array([1, 0, 0]), np.zeros((2, 3)), F1Reduction.MEAN) == 0.0


def test_rank_correlation_by_hand():
    tau, rho = rank_correlation(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))
    assert tau == pytest.approx(1 / 3)  # 2 concordant, 1 discordant pair
    assert rho == pytest.approx(0.5)  # 1 - 6 * 2 / (3 * 8)
    tau, rho = rank_correlation(np.array([1, 2, 3, 4]), np.array([4, 3, 2, 1]))
    assert (tau, rho) == (pytest.approx(-1), pytest.approx(-1))


def test_rank_correlation_of_constant_input_is_nan():
    tau, rho = rank_correlation(np.zeros(5), np.arange(5.0))
    assert np.isnan(tau) and np.isnan(rho)


def _video(annotators=None):
    # 60 frames, 4 steps every 15 frames, 3 shots of 20 frames; budget int(60 * .15) = 9 frames
    return VideoRecord(
        key="video_1",
        features=np.zeros((4, 1024), np.float32),
        gtscore=np.zeros(4, np.float32),
        picks=np.array([0, 15, 30, 45]),
        n_frames=60,
        change_points=np.array([[0, 4], [5, 19], [20, 59]]),
        user_summary=np.array([[1, 1, 1, 1, 1] + [0] * 55, [0] * 60]),
        annotator_scores=annotators,
    )


def test_summe_protocol_correlates_the_summary_with_the_mean_user_summary():
    video = _video()
    steps = np.array([0.9, 0.1, 0.5, 0.5])
    metrics = evaluate_video(steps, video, DATASETS["SumMe"])
    summary = np.zeros(60)
    summary[:5] = 1  # shot 0 (5 frames, score 0.9) is the only shot within 9 frames
    expected_tau, expected_rho = rank_correlation(summary, video.user_summary.mean(axis=0))
    assert metrics.kendall == pytest.approx(expected_tau) and metrics.spearman == pytest.approx(expected_rho)
    assert metrics.kendall == pytest.approx(1.0)  # the summary equals the first user's exactly
    assert metrics.f1 == pytest.approx(100.0)  # max over users


def test_tvsum_protocol_averages_over_annotators_and_f1_over_users():
    annotators = np.array([[0.2, 0.4, 0.6, 1.0], [1.0, 0.6, 0.4, 0.2]])
    video = _video(annotators)
    steps = np.array([0.1, 0.2, 0.3, 0.4])
    metrics = evaluate_video(steps, video, DATASETS["TVSum"])
    assert metrics.kendall == pytest.approx(0.0)  # +1 and -1
    assert metrics.spearman == pytest.approx(0.0)
    # shots 1 and 2 (15 and 40 frames) exceed the 9-frame budget, so only shot 0 is chosen
    assert metrics.f1 == pytest.approx(50.0)  # mean of 100 and 0


def test_tvsum_protocol_needs_annotations():
    with pytest.raises(ValueError, match="annotator"):
        evaluate_video(np.zeros(4), _video(None), DATASETS["TVSum"])


def test_score_count_must_match_steps():
    with pytest.raises(ValueError, match="3 scores for 4 steps"):
        evaluate_video(np.zeros(3), _video(), DATASETS["SumMe"])


def test_means():
    rows = [VideoMetrics("a", 10, 0.1, 0.2), VideoMetrics("b", 30, 0.3, 0.4)]
    assert mean_metrics(rows) == MeanMetrics(20, pytest.approx(0.2), pytest.approx(0.3))
