import time

import numpy as np
import pytest

from config import DATASETS
from dataset import load_benchmark
from dataset.errors import DataError
from dataset.h5 import VideoRecord
from evaluation import baselines
from evaluation.protocol import evaluate_video, mean_metrics
from tests.conftest import SHARED_ANNOTATIONS

SUMME, TVSUM = DATASETS["SumMe"], DATASETS["TVSum"]


def _video(user_summary, annotators=None):
    # 60 frames, 4 steps, 3 shots (as in tests/evaluation/test_metrics.py)
    return VideoRecord(
        key="video_1", features=np.zeros((4, 1024), np.float32), gtscore=np.zeros(4, np.float32),
        picks=np.array([0, 15, 30, 45]), n_frames=60, change_points=np.array([[0, 4], [5, 19], [20, 59]]),
        user_summary=np.asarray(user_summary), annotator_scores=annotators,
    )


def test_human_tvsum_by_hand():
    annotators = np.array([[0.2, 0.4, 0.6, 1.0], [0.2, 0.4, 0.6, 1.0], [1.0, 0.6, 0.4, 0.2]])
    users = np.zeros((3, 60), int)
    users[0, :5] = users[1, :5] = 1
    users[2, 20:29] = 1
    row = baselines.human_baseline([_video(users, annotators)], TVSUM)
    assert row.kendall == pytest.approx(-1 / 3) and row.spearman == pytest.approx(-1 / 3)
    assert row.f1 == pytest.approx(100 / 3)  # TVSum: mean over the others -> 50, 50, 0


def test_human_summe_correlates_the_users_summaries():
    users = np.zeros((3, 60), int)
    users[0, :10] = users[1, :10] = 1
    users[2, 50:] = 1
    row = baselines.human_baseline([_video(users)], SUMME)
    # users 0/2 and 1/2: n11 = 0, n10 = 10, n01 = 10, n00 = 40 -> phi = (0 * 40 - 10 * 10) / sqrt(10 * 50 * 10 * 50)
    phi = -0.2
    assert row.kendall == pytest.approx((1 + 2 * phi) / 3)
    assert row.kendall == pytest.approx(row.spearman)  # on 0/1 data both are the phi coefficient
    assert row.f1 == pytest.approx(200 / 3)  # SumMe: max over the others -> 100, 100, 0


def test_one_user_has_no_human_row():
    video = _video(np.zeros((1, 60), int))
    with pytest.raises(DataError, match="video_1: 1 user summary"):
        baselines.human_baseline([video], SUMME)
    row = baselines.human_row_or_unavailable([video], SUMME)
    assert row.f1 is None and "at least two" in row.note


def test_random_baseline_is_the_model_protocol_on_random_scores(tiny_data_dir):
    videos = list(load_benchmark(TVSUM, tiny_data_dir).videos.values())
    row = baselines.random_baseline(videos, TVSUM, draws=1, seed=5)
    rng = np.random.default_rng(5)
    expected = mean_metrics([evaluate_video(rng.random(v.n_steps, dtype=np.float32), v, TVSUM) for v in videos])
    assert (row.f1, row.kendall, row.spearman) == (expected.f1, expected.kendall, expected.spearman)
    assert baselines.random_baseline(videos, TVSUM, draws=1, seed=6).kendall != row.kendall
    many = baselines.random_baseline(videos, TVSUM, draws=20, seed=0)
    assert abs(many.kendall) < 0.05 and abs(many.spearman) < 0.07  # random scores do not rank
    assert many.n_videos == 6 and "20 draws" in many.note


@pytest.mark.skipif(not SHARED_ANNOTATIONS.is_file(), reason="real TVSum annotations (../shared/data/ydata-anno.tsv) not present")
def test_real_tvsum_human_agreement_in_seconds():
    start = time.perf_counter()
    row = baselines.human_correlation_from_annotations(SHARED_ANNOTATIONS)
    seconds = time.perf_counter() - start
    assert row.n_videos == 50
    # Otani et al. (CVPR 2019) report 0.177 / 0.204 for TVSum's human agreement
    assert row.kendall == pytest.approx(0.1774, abs=5e-4) and row.spearman == pytest.approx(0.2042, abs=5e-4)
    assert seconds < 30


@pytest.mark.parametrize("constant_user", [np.zeros(60, int), np.ones(60, int)], ids=["empty", "everything"])
def test_a_user_whose_summary_is_constant_has_no_silent_nan_agreement(constant_user):
    users = np.zeros((3, 60), int)
    users[0, :10] = users[1, 5:15] = 1
    users[2] = constant_user
    with pytest.raises(DataError, match="SumMe video_1: the users' 0/1 summaries of person\\(s\\) 3 hold one value"):
        baselines.human_baseline([_video(users)], SUMME)
    row = baselines.human_row_or_unavailable([_video(users)], SUMME)
    assert row.kendall is None and "undefined (NaN)" in row.note
