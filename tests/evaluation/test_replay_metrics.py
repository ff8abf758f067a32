"""The two Most-replayed protocols on cases worked out by hand (evaluation.replay_metrics).

Against the authors' own code: bench/bench_replay_protocols_vs_official.py (figures in bench/README.md).
"""

import math

import numpy as np
import pytest

from evaluation.replay_metrics import (
    NoEpochChosenError,
    NonFiniteScoresError,
    ReplayProtocol,
    average_precision,
    batch_of_64_means,
    chosen_epochs,
    mean_over_videos,
    mrhisum_f1,
    mrhisum_summary,
    video_metrics,
)

MR, TS = ReplayProtocol.MRHISUM, ReplayProtocol.TRIPLESUMM


def clips(*values: float, rows: int = 5) -> np.ndarray:
    """A score row made of constant 5-row clips."""
    return np.repeat(np.array(values, dtype=np.float32), rows)


def one_shot(rows: int) -> np.ndarray:
    return np.array([[0, rows - 1]])


def mr(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    return video_metrics(MR, pred, gt, np.zeros(len(pred), dtype=int), one_shot(len(pred)))


# ---------------------------------------------------------------- average precision


def test_average_precision_by_hand():
    # ranked: pos, neg, pos, neg -> P = 1 at recall 1/2, P = 2/3 at recall 1: AP = (1 + 2/3) / 2
    assert average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx(5 / 6)


def test_average_precision_takes_tied_scores_as_one_threshold():
    # 0.5 holds one positive and one negative: P = 1/2 at recall 1/2; then 0.2: P = 2/3 at recall 1
    assert average_precision(np.array([1, 0, 1]), np.array([0.5, 0.5, 0.2])) == pytest.approx(0.5 * 0.5 + 0.5 * 2 / 3)
    assert average_precision(np.array([0, 1, 0, 1]), np.full(4, 0.3)) == pytest.approx(0.5)  # all tied: the positives' share


def test_average_precision_without_positives_is_zero():
    assert average_precision(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.4])) == 0.0


def test_average_precision_matches_its_definition_on_random_cases():
    """AP = mean over positives of the precision at their score's threshold (all tied scores taken together)."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        labels = (rng.random(n) < 0.4).astype(int)
        scores = rng.integers(0, 6, n) / 5.0
        expected = 0.0
        if labels.sum():
            expected = np.mean([labels[scores >= s].sum() / (scores >= s).sum() for s in scores[labels == 1]])
        assert average_precision(labels, scores) == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------- clips: the last one, positives, ties


def test_last_clip_is_shorter_for_mrhisum_and_zero_padded_for_triplesumm():
    # 7 rows = a whole clip and 2 rows; ground truth puts the positive (top 1 of 2) in the last clip.
    gt = np.array([0, 0, 0, 0, 0, 1, 1], dtype=np.float32)
    pred = np.array([0.3] * 5 + [0.6, 0.6], dtype=np.float32)
    # Mr.HiSum: clip means (0.3, 0.6): the positive ranks first -> AP 1
    assert mr(pred, gt)["map50"] == pytest.approx(100)
    # TripleSumm: (0.3, 1.2 / 5 = 0.24): the positive ranks second -> P = 1/2 -> AP 1/2
    assert video_metrics(TS, pred, gt)["map50"] == pytest.approx(50)


def test_positives_len_half_for_mrhisum_and_ceil_for_triplesumm():
    # 3 clips; gt (0.9, 0.5, 0.1), pred the reverse order (0.1, 0.5, 0.9)
    gt, pred = clips(0.9, 0.5, 0.1), clips(0.1, 0.5, 0.9)
    # Mr.HiSum: 3 // 2 = 1 positive (clip 0), ranked third -> AP 1/3
    assert mr(pred, gt)["map50"] == pytest.approx(100 / 3)
    # TripleSumm: ceil(1.5) = 2 positives (clips 0, 1) ranked 3rd and 2nd -> P 1/2 at R 1/2, P 2/3 at R 1
    assert video_metrics(TS, pred, gt)["map50"] == pytest.approx(100 * (0.5 * 0.5 + 0.5 * 2 / 3))


def test_fifteen_percent_of_21_clips_is_three_or_four():
    # 21 * 0.15 = 3.15: int() gives 3 positives (Mr.HiSum), ceil() 4 (TripleSumm).
    # gt falls clip by clip, pred rises: the positives are the first clips and rank last.
    gt = clips(*[1 - i / 21 for i in range(21)])
    pred = clips(*[i / 21 for i in range(21)])
    assert mr(pred, gt)["map15"] == pytest.approx(100 / 3 * (1 / 19 + 2 / 20 + 3 / 21))  # ranks 19, 20, 21 of 21
    assert video_metrics(TS, pred, gt)["map15"] == pytest.approx(100 / 4 * (1 / 18 + 2 / 19 + 3 / 20 + 4 / 21))


def test_mrhisum_takes_the_earlier_of_equal_ground_truth_clips():
    # gt clips (0.5, 0.5, 0.5, 0.1): 2 positives among three equal clips -> clips 0 and 1 (stable rule).
    # pred clip order: clip 2 (negative) first, then 0, 1 -> P 1/2 at R 1/2, P 2/3 at R 1.
    gt, pred = clips(0.5, 0.5, 0.5, 0.1), clips(0.2, 0.1, 0.9, 0.05)
    assert mr(pred, gt)["map50"] == pytest.approx(100 * (0.5 * 0.5 + 0.5 * 2 / 3))


def test_a_video_shorter_than_one_clip():
    gt = np.array([0.2, 0.9, 0.95], dtype=np.float32)
    pred = np.array([0.1, 0.3, 0.2], dtype=np.float32)
    # Mr.HiSum: one clip, 1 // 2 = 0 positives: no AP is defined; the rule is 0 (current scikit-learn's value)
    result = mr(pred, gt)
    assert (result["map50"], result["map15"]) == (0.0, 0.0)
    # TripleSumm: one clip, ceil(0.5) = ceil(0.15) = 1 positive: it ranks first -> 100
    result = video_metrics(TS, pred, gt)
    assert (result["map50"], result["map15"]) == (100.0, 100.0)
    assert result["tau"] == pytest.approx(1 / 3)  # pairs (0,1) and (0,2) concordant, (1,2) not: (2 - 1) / 3


def test_constant_predictions():
    gt = clips(0.9, 0.1)
    pred = np.full(10, 0.5, dtype=np.float32)
    # TripleSumm: tau and rho undefined (scipy's NaN, as their code); both clips tie: AP = 1 positive of 2
    result = video_metrics(TS, pred, gt)
    assert math.isnan(result["tau"]) and math.isnan(result["rho"])
    assert (result["map50"], result["map15"]) == (pytest.approx(50), pytest.approx(50))
    # Mr.HiSum: the same tie for mAP@50; int(2 * 0.15) = 0 positives for mAP@15
    result = mr(pred, gt)
    assert (result["map50"], result["map15"]) == (pytest.approx(50), 0.0)
    # NaN propagates into the means
    assert math.isnan(mean_over_videos([video_metrics(TS, pred, gt), video_metrics(TS, clips(0.1, 0.2), gt)])["tau"])


def test_triplesumm_rank_correlations_by_hand():
    pred = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    gt = np.array([1.0, 3.0, 2.0, 4.0], dtype=np.float32)
    result = video_metrics(TS, pred, gt)
    assert result["tau"] == pytest.approx(4 / 6)  # 5 concordant pairs, 1 discordant
    assert result["rho"] == pytest.approx(1 - 6 * 2 / (4 * 15))


# ---------------------------------------------------------------- Mr.HiSum's F1


def test_mrhisum_shot_value_reaches_into_the_next_shot():
    # 20 rows; shots A = 0..2, B = 3..5, C = 6..19; budget floor(20 * 0.15) = 3 rows: A or B.
    pred = np.zeros(20, dtype=np.float32)
    pred[0:3], pred[3:6], pred[6] = 0.5, 0.4, 1.0
    shots = np.array([[0, 2], [3, 5], [6, 19]])
    # Their value of a shot is the mean of its rows and the next shot's first: A (0.5 * 3 + 0.4) / 4 = 0.475,
    # B (0.4 * 3 + 1.0) / 4 = 0.55 -> B, although A's own rows score higher.
    assert mrhisum_summary(pred, shots).tolist() == [0] * 3 + [1] * 3 + [0] * 14
    gt_summary = np.zeros(20, dtype=int)
    gt_summary[3:9] = 1
    # overlap 3; P = 3 / (3 + 20e-8), R = 3 / (6 + 20e-8): the 1e-8 per row makes F a little under 200 / 3
    f1 = video_metrics(MR, pred, pred, gt_summary, shots)["f1"]
    precision, recall = 3 / (3 + 20e-8), 3 / (6 + 20e-8)
    assert f1 == pytest.approx(200 * precision * recall / (precision + recall), rel=1e-12)
    assert 200 / 3 - 1e-5 < f1 < 200 / 3


def test_mrhisum_f1_is_zero_without_overlap_and_pads_the_shorter_row():
    assert mrhisum_f1(np.array([1, 1, 0, 0]), np.array([0, 0, 1, 1])) == 0.0
    assert mrhisum_f1(np.zeros(4, dtype=int), np.zeros(4, dtype=int)) == 0.0
    assert mrhisum_f1(np.array([1, 1]), np.array([1, 1, 1, 1])) == pytest.approx(200 / 3, rel=1e-6)


def test_mrhisum_needs_shots_that_cover_the_video_and_a_summary_of_its_length():
    pred = np.linspace(0, 1, 10, dtype=np.float32)
    with pytest.raises(ValueError, match="needs gt_summary and change_points"):
        video_metrics(MR, pred, pred)
    with pytest.raises(ValueError, match="covering rows 0..9"):
        video_metrics(MR, pred, pred, np.zeros(10, dtype=int), np.array([[0, 4], [6, 9]]))  # row 5 in no shot
    with pytest.raises(ValueError, match="gt_summary has 9 rows"):
        video_metrics(MR, pred, pred, np.zeros(9, dtype=int), one_shot(10))
    with pytest.raises(ValueError, match="0 or 1"):
        video_metrics(MR, pred, pred, pred, one_shot(10))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("protocol", list(ReplayProtocol), ids=lambda p: p.value)
def test_non_finite_scores_are_refused(protocol):
    good = np.linspace(0, 1, 10, dtype=np.float32)
    bad = good.copy()
    bad[3] = np.nan
    with pytest.raises(NonFiniteScoresError, match="pred: 1 of 10"):
        video_metrics(protocol, bad, good, np.zeros(10, dtype=int), one_shot(10))
    bad[3] = np.inf
    with pytest.raises(NonFiniteScoresError, match="gtscore"):
        video_metrics(protocol, good, bad, np.zeros(10, dtype=int), one_shot(10))
    with pytest.raises(ValueError, match="pred has 10 rows, gtscore 9"):
        video_metrics(protocol, good, good[:9], np.zeros(10, dtype=int), one_shot(10))


# ---------------------------------------------------------------- averages and checkpoint choice


def test_metric_names_are_the_protocols():
    gt = clips(0.9, 0.1, 0.4)
    for protocol in ReplayProtocol:
        assert tuple(video_metrics(protocol, gt[::-1].copy(), gt, np.zeros(15, dtype=int), one_shot(15))) == protocol.metrics


def test_batch_of_64_means_weighs_a_short_last_batch_like_a_full_one():
    videos = [{"tau": 0.0}] * 64 + [{"tau": 1.0}]
    assert mean_over_videos(videos)["tau"] == pytest.approx(1 / 65)
    assert batch_of_64_means(videos)["tau"] == pytest.approx(0.5)  # batch means 0 and 1
    assert batch_of_64_means(videos, batch=32)["tau"] == pytest.approx(1 / 3)  # 0, 0, 1
    with pytest.raises(ValueError, match="no videos"):
        mean_over_videos([])
    with pytest.raises(ValueError, match="video 1 has metrics"):
        mean_over_videos([{"tau": 0.0}, {"rho": 0.0}])


def test_mrhisum_keeps_the_later_of_equal_epochs_per_metric():
    validation = [{"f1": 50.0, "map50": 60.0, "map15": 30.0},
                  {"f1": 60.0, "map50": 61.0, "map15": 30.0},
                  {"f1": 60.0, "map50": 55.0, "map15": 29.0},
                  {"f1": 55.0, "map50": 61.0, "map15": float("nan")}]
    assert chosen_epochs(MR, validation) == {"f1": 2, "map50": 3, "map15": 1}


def test_triplesumm_keeps_the_first_best_tau_plus_rho_and_stops_after_its_patience():
    equal = [{"tau": 0.25, "rho": 0.5}, {"tau": 0.5, "rho": 0.25}]  # both 0.75: the first stays
    assert chosen_epochs(TS, equal) == {"tau+rho": 0}
    worse = {"tau": 0.0, "rho": 0.0}
    better = {"tau": 0.5, "rho": 0.5}
    # 9 epochs without a new best, then a better one: still looking (patience 10)
    assert chosen_epochs(TS, [equal[0]] + [worse] * 9 + [better]) == {"tau+rho": 10}
    # 10 epochs without a new best: their training stopped, a later better epoch is never reached
    assert chosen_epochs(TS, [equal[0]] + [worse] * 10 + [better]) == {"tau+rho": 0}


def test_no_epoch_qualifies():
    with pytest.raises(NoEpochChosenError, match="tau\\+rho"):
        chosen_epochs(TS, [{"tau": float("nan"), "rho": 0.1}])
    with pytest.raises(NoEpochChosenError):
        chosen_epochs(MR, [])
    with pytest.raises(ValueError, match="lacks \\['map15'\\]"):
        chosen_epochs(MR, [{"f1": 1.0, "map50": 1.0}])
