"""The built file field by field against the eccv16 description (reference section 1)."""

import h5py
import numpy as np

from dataset.custom import LabelKind
from dataset.h5 import read_eccv16
from tests.builder.helpers import make_part, write_built

ECCV16 = {  # key: (dtype kind, rank); n_steps and n_frames are scalars
    "features": ("f", 2), "gtscore": ("f", 1), "user_summary": ("f", 2), "change_points": ("i", 2),
    "n_frame_per_seg": ("i", 1), "n_frames": ("i", 0), "picks": ("i", 1), "n_steps": ("i", 0), "gtsummary": ("f", 1),
    "video_name": ("S", 0), "fps": ("f", 0),
}


def test_every_field_of_the_eccv16_layout(tmp_path):
    parts = [make_part("a.mp4", n_frames=300), make_part("b.mp4", n_frames=451, cuts=(50, 300))]
    path = write_built(tmp_path / "my.h5", LabelKind.SCORES, parts)
    with h5py.File(path, "r") as h5:
        assert sorted(h5) == ["video_1", "video_2"]
        assert h5.attrs["labels"] == "scores"
        for key, part in zip(["video_1", "video_2"], parts, strict=True):
            group = h5[key]
            assert set(group) == set(ECCV16) | {"user_scores"}
            for name, (kind, rank) in ECCV16.items():
                assert group[name].dtype.kind == kind and group[name].ndim == rank, name
            n_frames, n_steps = int(group["n_frames"][()]), int(group["n_steps"][()])
            assert n_frames == part.n_frames and n_steps == len(part.picks)
            assert group["features"].shape == (n_steps, 1024) and group["features"].dtype == np.float32
            assert group["gtscore"].shape == group["gtsummary"].shape == group["picks"].shape == (n_steps,)
            gtscore = group["gtscore"][()]
            assert gtscore.min() >= 0 and gtscore.max() <= 1
            np.testing.assert_array_equal(group["picks"][()], np.arange(0, n_frames, 15))
            shots = group["change_points"][()]
            assert shots[0, 0] == 0 and shots[-1, 1] == n_frames - 1 and np.all(shots[1:, 0] == shots[:-1, 1] + 1)
            assert group["n_frame_per_seg"][()].sum() == n_frames
            np.testing.assert_array_equal(group["n_frame_per_seg"][()], shots[:, 1] - shots[:, 0] + 1)
            users = group["user_summary"][()]
            assert users.shape == (3, n_frames) and set(np.unique(users)) <= {0.0, 1.0}
            assert group["user_scores"].shape == (3, n_frames)
            assert group["video_name"][()].decode() == part.source
    videos, synthetic = read_eccv16(path)  # the project's own checks accept it
    assert list(videos) == ["video_1", "video_2"] and not synthetic


def test_unlabelled_files_hold_features_picks_and_shots_only(tmp_path):
    path = write_built(tmp_path / "my.h5", LabelKind.NONE, [make_part("a.mp4")])
    with h5py.File(path, "r") as h5:
        assert h5.attrs["labels"] == "none"
        assert set(h5["video_1"]) == {"features", "picks", "n_steps", "n_frames", "fps", "change_points",
                                      "n_frame_per_seg", "video_name"}
