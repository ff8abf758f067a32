import json

import h5py
import numpy as np
import pytest

from builder.errors import PredictionError
from builder.predictions import match_predictions, read_predictions
from dataset.custom import LabelKind, read_custom
from tests.builder.helpers import make_part, write_built


@pytest.fixture
def data(tmp_path):
    path = write_built(tmp_path / "my.h5", LabelKind.SEGMENTS, [make_part("a.mp4", 300), make_part("b.mp4", 240, cuts=(30, 120))])
    return read_custom(path)


def test_keys_names_and_stems_per_pick_or_per_frame(tmp_path, data):
    path = tmp_path / "p.json"
    frames = np.linspace(0, 1, 240)
    path.write_text(json.dumps({"video_1": [0.5] * 20, "b": frames.tolist()}))
    steps = match_predictions(path, read_predictions(path), data)
    assert steps["video_1"].shape == (20,)
    np.testing.assert_array_equal(steps["video_2"], frames[np.arange(0, 240, 15)])
    path.write_text(json.dumps({"a.mp4": [0.1] * 20}))
    assert list(match_predictions(path, read_predictions(path), data)) == ["video_1"]


def test_save_scores_h5_layout(tmp_path, data):
    path = tmp_path / "scores.h5"
    with h5py.File(path, "w") as h5:
        h5["my/video_2/step_scores"] = np.arange(16, dtype=np.float32)
        h5["my/video_2/machine_summary"] = np.zeros(240, dtype=np.uint8)
    steps = match_predictions(path, read_predictions(path), data)
    np.testing.assert_array_equal(steps["video_2"], np.arange(16))


@pytest.mark.parametrize("payload, message", [
    ({"video_9": [1.0]}, "predictions for 'video_9', which is not a video of"),
    ({"video_1": [1.0, 2.0]}, r"2 scores for video_1 \(a.mp4\), which has 20 picks and 300 frames"),
    ({"video_1": [float("nan")] * 20}, r"video_1 \(a.mp4\) hold NaN"),
    ({"video_1": [0.1] * 20, "a": [0.1] * 20}, "has predictions under two names"),
    ({"video_1": "high"}, "not a list of numbers"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_predictions_name_the_video(tmp_path, data, payload, message):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(PredictionError, match=message):
        match_predictions(path, read_predictions(path), data)


def test_unreadable_files(tmp_path):
    with pytest.raises(PredictionError, match="no such file"):
        read_predictions(tmp_path / "none.json")
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(PredictionError, match="cannot be read as JSON"):
        read_predictions(tmp_path / "x.json")
    with h5py.File(tmp_path / "e.h5", "w") as h5:
        h5["a/b"] = np.zeros(2)
    with pytest.raises(PredictionError, match="no group holds 'step_scores'"):
        read_predictions(tmp_path / "e.h5")
