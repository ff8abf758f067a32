"""SummDiff's knapsack-aware measures, worked by hand on three-shot videos.

Scores are multiples of 1/16, so every sum below is exact in floating point and comparisons at a
margin (error == margin) go the way the arithmetic says.
"""

import math
import shutil

import h5py
import numpy as np
import pytest

from config import DATASETS
from dataset import DataError, read_eccv16
from dataset.h5 import VideoRecord
from evaluation.knapsack_measures import (
    MEASURES,
    NO_CRITICAL_ITEM,
    KnapsackMeasures,
    ShotProblem,
    TruthSource,
    best_value,
    critical_ratio,
    gtscore_knapsack_shots,
    knapsack_measures,
    mean_measures,
    mean_measures_over,
    shot_problem,
    shots_marked,
    step_summary_shots,
    video_knapsack_measures,
)
from evaluation.means import MeanOver

SUMME = DATASETS["SumMe"]


def _problem(predicted, in_summary, lengths=(2, 3, 4), truth=(0.625, 0.25, 0.75), budget=5):
    return ShotProblem(np.array(lengths), np.array(truth, dtype=float), np.array(predicted, dtype=float),
                       np.array(in_summary, dtype=bool), budget)


def test_worked_example_with_the_optimal_summary():
    """Budget 5: {0, 1} (value 0.875) beats {2} (0.75). Errors: -0.25 (kept, harmful), +0.25 (kept, harmless),
    +0.0625 (left out, harmful).

    Flips: 0 out -> 0.75, 1 out -> 0.75, 2 in (room 1: nothing else fits) -> 0.75; margins -0.125, -0.125, +0.125.
    Critical ratios without shot 0: 0.1875 fits, 0.0833 overflows -> 1/12; without 1: 0.3125 fits, 0.1875 overflows;
    without 2, room 1: 0.3125 overflows. Largest 0.3125, smallest 0.
    Shot 0: bound max(-0.125, 2 * 0.3125 - 0.625 = 0) = 0, error -0.25 is not above it: not safe.
    Shot 1: error > 0: safe. Shot 2: bound min(0.125, 0.75 - 4 * 0) = 0.125 > 0.0625: safe.
    """
    result = knapsack_measures(_problem([0.375, 0.5, 0.8125], [True, True, False]))
    assert result.wse == pytest.approx(2 * 0.25 + 4 * 0.0625)  # 0.75
    assert result.cis == pytest.approx((0.25 + 0.0625) - 0.875 + 0.75)  # 0.1875
    assert result.ir == pytest.approx(2 / 3)
    assert result.wir == pytest.approx((3 + 4) / 9)


def test_an_error_at_the_margin_is_not_safe():
    """Shot 2's error of exactly its margin 0.125 (strict inequality): only shot 1 stays safe."""
    result = knapsack_measures(_problem([0.375, 0.5, 0.875], [True, True, False]))
    assert result.wse == pytest.approx(2 * 0.25 + 4 * 0.125)
    assert result.cis == pytest.approx(0.375 - 0.875 + 0.75)
    assert (result.ir, result.wir) == (pytest.approx(1 / 3), pytest.approx(3 / 9))


def test_exact_scores_have_no_error_and_cis_is_minus_the_summary_value():
    result = knapsack_measures(_problem([0.625, 0.25, 0.75], [True, True, False]))
    assert result.wse == 0
    assert result.cis == pytest.approx(-0.875)


def test_shots_longer_than_the_budget_are_left_out_but_their_summary_value_counts():
    """Shot 2 (10 frames > budget 5) is in the summary and scored far too low: no WSE, no IR weight for it, but its
    value is in the summary's value 1.75. Shots 0 and 1 are exact; their critical ratios are -1 (the other one
    fits), so the bounds are 2 * 0 - 0.5 and 3 * 0 - 0.25 against margins -1.5 and -1.25: both safe."""
    result = knapsack_measures(_problem([0.5, 0.25, 0.0], [True, True, True], lengths=(2, 3, 10), truth=(0.5, 0.25, 1.0)))
    assert result == KnapsackMeasures(wse=0.0, cis=-1.75, wir=1.0, ir=1.0)
    without = knapsack_measures(_problem([0.5, 0.25, 0.0], [True, True, False], lengths=(2, 3, 10), truth=(0.5, 0.25, 1.0)))
    assert without.cis == -0.75


def test_no_shot_in_the_ground_truth_summary():
    """Summary value 0. Shot 0 over-scored by 0.25: WSE 0.5; forced in it gives 0.5 + 0.25 (shot 1 in room 3) = 0.75.
    Margins are negative (an empty summary is not optimal), so only shot 2 (under-scored) is safe."""
    result = knapsack_measures(_problem([0.75, 0.25, 0.5], [False, False, False], truth=(0.5, 0.25, 0.75)))
    assert result.wse == pytest.approx(0.5)
    assert result.cis == pytest.approx(0.25 - 0.0 + 0.75)
    assert (result.ir, result.wir) == (pytest.approx(1 / 3), pytest.approx(4 / 9))


def test_every_shot_longer_than_the_budget_leaves_wir_and_ir_undefined():
    result = knapsack_measures(_problem([0.0, 1.0], [True, False], lengths=(6, 6), truth=(0.5, 0.25)))
    assert result.wse == 0 and result.cis == -0.5
    assert math.isnan(result.wir) and math.isnan(result.ir)


def test_a_single_shot_within_the_budget():
    """Nothing else to re-solve: every flip's optimum is the shot alone or nothing, every critical ratio -1."""
    result = knapsack_measures(_problem([0.25], [True], lengths=(3,), truth=(0.5,), budget=4))
    assert result.wse == pytest.approx(3 * 0.25)
    assert result.cis == pytest.approx(0.25 - 0.5 + 0.0)  # forced out: value 0
    assert result.ir == 1.0  # bound max(-0.5, 3 * 0 - 0.5) = -0.5 < -0.25


def test_critical_ratio():
    lengths, values = np.array([2, 3, 4]), np.array([0.625, 0.25, 0.75])
    assert critical_ratio(lengths, values, 5) == pytest.approx(0.1875)  # 0.3125 (2 frames) fits, 0.1875 (4) overflows
    assert critical_ratio(lengths, values, 9) == NO_CRITICAL_ITEM
    assert critical_ratio(lengths, values, 0) == pytest.approx(0.3125)
    assert critical_ratio(lengths[:0], values[:0], 3) == NO_CRITICAL_ITEM


def test_best_value_is_the_optimum_whichever_equal_optimum_is_chosen():
    """Ties: {0} or {1, 2} both give 1.0; the reference's walk back keeps the earlier shots' choice."""
    assert best_value(2, np.array([2, 1, 1]), np.array([1.0, 0.5, 0.5])) == 1.0
    assert best_value(2, np.array([1, 1, 2]), np.array([0.5, 0.5, 1.0])) == 1.0
    assert best_value(0, np.array([1]), np.array([1.0])) == 0.0


def test_problem_with_mismatched_lengths_is_refused():
    with pytest.raises(ValueError, match="one length per shot"):
        ShotProblem(np.array([1, 2]), np.zeros(2), np.zeros(3), np.zeros(2, bool), 3)


# From a VideoRecord


def _record(gtsummary=None, gtscore=(0.625, 0.625, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75, 0.0)):
    """A 40-frame video, a step every 4 frames, shots of 8, 12, 16 and 4 frames (mean gtscore 0.625, 0.25, 0.75, 0)."""
    picks = np.arange(0, 40, 4)
    change_points = np.array([[0, 7], [8, 19], [20, 35], [36, 39]])
    return VideoRecord("video_1", np.zeros((10, 4), np.float32), np.array(gtscore, np.float32), picks, 40, change_points,
                       np.zeros((1, 40), np.uint8), gtsummary=gtsummary)


def test_shot_problem_from_a_record_without_gtsummary_uses_the_gtscore_knapsack():
    """Budget int(40 * 0.15) = 6 frames: shots of 8, 12, 16 and 4 frames; only the last fits."""
    problem, source = shot_problem(np.full(10, 0.5, np.float32), _record())
    assert source is TruthSource.GTSCORE_KNAPSACK
    np.testing.assert_array_equal(problem.lengths, [8, 12, 16, 4])
    np.testing.assert_allclose(problem.truth, [0.625, 0.25, 0.75, 0.0])
    assert problem.budget == 6
    np.testing.assert_array_equal(problem.in_summary, gtscore_knapsack_shots(problem.truth, problem.lengths, 6))


def test_gtscore_knapsack_rule_picks_the_best_shots_within_the_budget():
    chosen = gtscore_knapsack_shots(np.array([0.625, 0.25, 0.75]), np.array([2, 3, 4]), 5)
    np.testing.assert_array_equal(chosen, [True, True, False])


def test_step_summary_counts_only_the_steps_picked_inside_a_shot():
    """Step 1 (frame 4) is marked: shot [0, 7] is in. Its score would reach frames 4..7 only, but a marked step at
    frame 16 would spread to 16..19; neither reaches the next shot, and a step whose spread crosses does not count."""
    video = _record(gtsummary=np.array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0], np.uint8))
    np.testing.assert_array_equal(step_summary_shots(video.gtsummary, video), [True, False, False, False])
    crossing = VideoRecord(video.key, video.features, video.gtscore, video.picks, 40, np.array([[0, 5], [6, 39]]),
                           video.user_summary, gtsummary=video.gtsummary)  # step at frame 4 spreads to 4..7
    np.testing.assert_array_equal(step_summary_shots(crossing.gtsummary, crossing), [True, False])
    problem, source = shot_problem(np.zeros(10, np.float32), video)
    assert source is TruthSource.H5_GTSUMMARY
    np.testing.assert_array_equal(problem.in_summary, [True, False, False, False])


def test_shots_marked_counts_the_last_frame_too():
    """The authors' slice leaves out a shot's last frame; ours counts it (a one-frame shot can be in)."""
    frames = np.zeros(10, np.int8)
    frames[[4, 9]] = 1
    np.testing.assert_array_equal(shots_marked(frames, np.array([[0, 4], [5, 8], [9, 9]])), [True, False, True])


def test_video_measures_are_the_problem_measures_and_check_the_length():
    video = _record()
    scores = np.linspace(0, 1, 10, dtype=np.float32)
    assert video_knapsack_measures(scores, video) == knapsack_measures(shot_problem(scores, video)[0])
    with pytest.raises(ValueError, match="video_1: 9 scores for 10 steps"):
        video_knapsack_measures(scores[:9], video)


def test_means_leave_undefined_wir_and_ir_out():
    rows = [KnapsackMeasures(1.0, -1.0, 0.5, 0.25), KnapsackMeasures(3.0, 1.0, math.nan, math.nan)]
    assert mean_measures(rows) == KnapsackMeasures(2.0, 0.0, 0.5, 0.25)
    assert math.isnan(mean_measures(rows[1:]).wir)
    with pytest.raises(ValueError, match="no results"):
        mean_measures([])


def test_mean_over_splits_or_videos():
    by_split = {1: [KnapsackMeasures(0.0, 0.0, 0.0, 0.0)], 2: [KnapsackMeasures(1.0, 1.0, 1.0, 1.0)] * 3}
    assert mean_measures_over(MeanOver.SPLITS, by_split).wse == 0.5
    assert mean_measures_over(MeanOver.VIDEOS, by_split).wse == 0.75
    assert list(mean_measures_over(MeanOver.SPLITS, by_split).as_dict()) == list(MEASURES)


# The h5's gtsummary


def test_the_h5_gtsummary_is_read_when_present(tiny_data_dir, tmp_path):
    videos, _ = read_eccv16(SUMME.h5_path(tiny_data_dir))
    video = videos["video_1"]
    assert video.gtsummary is not None and video.gtsummary.shape == (video.n_steps,)
    assert set(np.unique(video.gtsummary)) <= {0, 1}
    path = tmp_path / SUMME.h5_name
    shutil.copy(SUMME.h5_path(tiny_data_dir), path)
    with h5py.File(path, "a") as h5:
        del h5["video_1"]["gtsummary"]
        h5["video_2"]["gtsummary"][0] = np.nan
    with pytest.raises(DataError, match=r"\[video_2\]: gtsummary"):
        read_eccv16(path)
    with h5py.File(path, "a") as h5:
        del h5["video_2"]["gtsummary"]
    videos, _ = read_eccv16(path)
    assert videos["video_1"].gtsummary is None
    assert shot_problem(np.zeros(videos["video_1"].n_steps, np.float32), videos["video_1"])[1] is TruthSource.GTSCORE_KNAPSACK
