import shutil

import h5py
import numpy as np
import pytest

from config import DATASETS
from dataset import DataError, read_eccv16
from dataset.h5 import REQUIRED_KEYS
from dataset.synthetic import SUMME_LIKE, write_synthetic_benchmark

SUMME = DATASETS["SumMe"]


def test_synthetic_file_has_the_eccv16_layout(tiny_data_dir):
    with h5py.File(SUMME.h5_path(tiny_data_dir), "r") as h5:
        assert h5.attrs["synthetic"]
        assert sorted(h5) == sorted(f"video_{i}" for i in range(1, 9))
        group = h5["video_1"]
        for key in (*REQUIRED_KEYS, "n_frame_per_seg", "n_steps", "gtsummary", "video_name"):
            assert key in group, key
        n_steps = int(group["n_steps"][()])
        assert group["features"].shape == (n_steps, 1024) and group["features"].dtype == np.float32
        assert group["user_summary"].shape == (5, int(group["n_frames"][()]))
        np.testing.assert_array_equal(group["picks"][()], np.arange(0, int(group["n_frames"][()]), 15))


def test_default_synthetic_dataset_is_summe_like(tmp_path):
    path = write_synthetic_benchmark(SUMME, tmp_path)
    videos, synthetic = read_eccv16(path)
    assert synthetic and len(videos) == SUMME_LIKE.n_videos == 25
    steps = [v.n_steps for v in videos.values()]
    assert min(steps) >= 100 and max(steps) <= 700
    assert all(v.user_summary.shape[0] == 15 for v in videos.values())


@pytest.fixture
def editable_copy(tmp_path, tiny_data_dir):
    path = tmp_path / SUMME.h5_name
    shutil.copy(SUMME.h5_path(tiny_data_dir), path)
    return path


def _replace(path, video, key, value):
    with h5py.File(path, "a") as h5:
        if key in h5[video]:
            del h5[video][key]
        if value is not None:
            h5[video][key] = value


def _n_frames(path, video="video_2"):
    with h5py.File(path, "r") as h5:
        return int(h5[video]["n_frames"][()]), int(h5[video]["n_steps"][()])


@pytest.mark.parametrize(
    "key, make_value, message",
    [
        ("gtscore", lambda n_frames, n_steps: None, "missing key"),
        ("features", lambda n_frames, n_steps: np.zeros((n_steps, 512), np.float32), r"expected \(n_steps, 1024\)"),
        ("features", lambda n_frames, n_steps: np.full((n_steps, 1024), np.nan, np.float32), "NaN or infinite"),
        ("gtscore", lambda n_frames, n_steps: np.zeros(n_steps + 1, np.float32), "step counts disagree"),
        ("picks", lambda n_frames, n_steps: np.arange(n_steps - 1) * 15, "step counts disagree"),
        ("change_points", lambda n_frames, n_steps: np.array([[0, n_frames - 10]]), "do not cover the video"),
        ("change_points", lambda n_frames, n_steps: np.array([[0, 9], [12, n_frames - 1]]), "do not cover the video"),
        ("user_summary", lambda n_frames, n_steps: np.zeros((3, n_frames - 1)), "user_summary has shape"),
    ],
)
def test_malformed_video_groups_are_rejected_with_file_and_video(editable_copy, key, make_value, message):
    _replace(editable_copy, "video_2", key, make_value(*_n_frames(editable_copy)))
    with pytest.raises(DataError, match=message) as error:
        read_eccv16(editable_copy)
    assert str(editable_copy) in str(error.value) and "video_2" in str(error.value)


def test_not_an_h5_file(tmp_path):
    path = tmp_path / SUMME.h5_name
    path.write_text("hello")
    with pytest.raises(DataError, match="cannot be read as an HDF5 file"):
        read_eccv16(path)


def _constant_mean_summaries(n_frames):
    """User summaries whose mean is the same at every frame (every correlation with it is NaN)."""
    halves = np.zeros((2, n_frames), np.uint8)
    halves[0, : n_frames // 2] = halves[1, n_frames // 2:] = 1
    thirds = np.zeros((6, n_frames), np.uint8)
    for user, part in enumerate(np.array_split(np.arange(n_frames), 3) * 2):
        thirds[user, part] = 1
    return {
        "all users empty": (np.zeros((5, n_frames), np.uint8), "every user summary is empty"),
        "all users select everything": (np.ones((5, n_frames), np.uint8), "selects every frame"),
        "two users split the video": (halves, "mean summary is 0.5 at every frame"),
        "each third twice": (thirds, "mean summary is 0.333 at every frame"),
    }


@pytest.mark.parametrize("case", list(_constant_mean_summaries(10)))
def test_a_video_whose_users_mean_summary_is_constant_is_refused(editable_copy, case):
    users, message = _constant_mean_summaries(_n_frames(editable_copy)[0])[case]
    _replace(editable_copy, "video_2", "user_summary", users)
    with pytest.raises(DataError, match=message) as error:
        read_eccv16(editable_copy)
    assert str(editable_copy) in str(error.value) and "video_2" in str(error.value) and "NaN" in str(error.value)


def test_one_empty_user_among_others_is_accepted(editable_copy):
    with h5py.File(editable_copy, "r") as h5:
        users = h5["video_2/user_summary"][()]
    users[0] = 0
    _replace(editable_copy, "video_2", "user_summary", users)
    videos, _ = read_eccv16(editable_copy)
    assert not videos["video_2"].user_summary[0].any()


def test_a_video_where_no_shot_fits_the_budget_is_refused(editable_copy):
    n_frames, _ = _n_frames(editable_copy)
    cut = n_frames // 2
    _replace(editable_copy, "video_2", "change_points", np.array([[0, cut - 1], [cut, n_frames - 1]]))
    _replace(editable_copy, "video_2", "n_frame_per_seg", None)
    with pytest.raises(DataError, match="every shot is longer than the 15% summary budget") as error:
        read_eccv16(editable_copy)
    assert str(editable_copy) in str(error.value) and "video_2" in str(error.value)


@pytest.mark.parametrize("key, value, message", [
    ("n_frames", np.array([100, 200]), r"n_frames is \[100\.0, 200\.0\]; expected one whole number"),
    ("n_frames", np.float64(100.5), "n_frames is 100.5"),
    ("n_steps", np.array([], np.int32), "n_steps is \\[\\]"),
    ("picks", np.bytes_("0,15,30"), "cannot read video_2/picks as float64"),
    ("features", np.bytes_("features"), "cannot read video_2/features as float32"),
])
def test_fields_of_the_wrong_type_or_size_are_named(editable_copy, key, value, message):
    _replace(editable_copy, "video_2", key, value)
    with pytest.raises(DataError, match=message) as error:
        read_eccv16(editable_copy)
    assert str(editable_copy) in str(error.value) and "video_2" in str(error.value)
