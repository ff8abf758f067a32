import numpy as np
import pytest

from config import DATASETS
from dataset.errors import DataError
from dataset.h5 import VideoRecord
from evaluation import baselines
from evaluation.protocol import evaluate_video

TVSUM = DATASETS["TVSum"]


def _video_without_annotator_scores():
    users = np.zeros((2, 60), np.uint8)
    users[0, :5] = users[1, 20:29] = 1
    return VideoRecord(
        key="video_1", features=np.zeros((4, 1024), np.float32), gtscore=np.zeros(4, np.float32),
        picks=np.array([0, 15, 30, 45]), n_frames=60, change_points=np.array([[0, 4], [5, 19], [20, 59]]),
        user_summary=users,
    )


@pytest.mark.parametrize("use", [
    lambda video: evaluate_video(np.array([0.1, 0.9, 0.3, 0.2]), video, TVSUM),
    lambda video: baselines.human_baseline([video], TVSUM),
    lambda video: baselines.random_baseline([video], TVSUM, draws=1),
], ids=["evaluate_video", "human_baseline", "random_baseline"])
def test_missing_annotator_scores_are_one_error_type_everywhere(use):
    with pytest.raises(DataError, match="video_1: no annotator scores attached"):
        use(_video_without_annotator_scores())
