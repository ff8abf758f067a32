import h5py
import numpy as np
import pytest

from config import CorrelationTarget, F1Reduction
from dataset.annotations import annotator_step_scores
from dataset.custom import LabelKind, custom_spec, read_custom, read_labels_kind
from dataset.errors import DataError
from tests.builder.helpers import make_part, write_built


def test_score_labels_follow_tvsum_s_protocol(tmp_path):
    path = write_built(tmp_path / "my.h5", LabelKind.SCORES, [make_part("a.mp4")])
    data = read_custom(path)
    assert data.kind is LabelKind.SCORES and data.names == {"video_1": "a.mp4"}
    assert data.spec.f1_reduction is F1Reduction.MEAN and data.spec.correlation_target is CorrelationTarget.EACH_ANNOTATOR
    with h5py.File(path, "r") as h5:
        raw = h5["video_1/user_scores"][()].astype(np.float64)
    np.testing.assert_array_equal(data.videos["video_1"].annotator_scores, annotator_step_scores(raw, 15, "test"))


def test_segment_labels_follow_summe_s_and_f1_can_be_chosen(tmp_path):
    path = write_built(tmp_path / "my.h5", LabelKind.SEGMENTS, [make_part("a.mp4")])
    assert read_custom(path).spec.f1_reduction is F1Reduction.MAX
    spec = read_custom(path, F1Reduction.MEAN).spec
    assert spec.f1_reduction is F1Reduction.MEAN and spec.correlation_target is CorrelationTarget.MEAN_USER_SUMMARY
    assert custom_spec(path, LabelKind.SEGMENTS).name == "my"


def test_files_that_cannot_be_scored(tmp_path):
    unlabelled = write_built(tmp_path / "none.h5", LabelKind.NONE, [make_part("a.mp4")])
    assert read_labels_kind(unlabelled) is LabelKind.NONE
    with pytest.raises(DataError, match="has no labels"):
        read_custom(unlabelled)
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as h5:
        h5["video_1/features"] = np.zeros((2, 1024))
    with pytest.raises(DataError, match="not written by build_dataset.py"):
        read_custom(plain)
    path = write_built(tmp_path / "s.h5", LabelKind.SCORES, [make_part("a.mp4")])
    with h5py.File(path, "a") as h5:
        del h5["video_1/user_scores"]
    with pytest.raises(DataError, match="no user_scores field"):
        read_custom(path)


def test_random_folds_test_every_video_once_and_read_back(tmp_path):
    from dataset.custom import random_splits, write_splits
    from dataset.splits import read_splits

    keys = [f"video_{i}" for i in range(1, 13)]
    splits = random_splits(keys, seed=7)
    assert len(splits) == 5 and sorted(k for s in splits for k in s.test_keys) == sorted(keys)
    assert all(set(s.train_keys) == set(keys) - set(s.test_keys) for s in splits)
    assert random_splits(keys, seed=7) == splits and random_splits(keys, seed=8) != splits
    path = tmp_path / "splits.json"
    write_splits(path, "my", splits)
    assert read_splits(path, custom_spec(tmp_path / "my.h5", LabelKind.SCORES)) == splits
    with pytest.raises(DataError, match="3 videos cannot make 5 folds"):
        random_splits(keys[:3], seed=0)


def test_a_built_file_as_the_engine_s_benchmark(tmp_path):
    from dataset.custom import custom_benchmark

    path = write_built(tmp_path / "my.h5", LabelKind.SCORES, [make_part("a.mp4")])
    benchmark, data = custom_benchmark(path)
    assert benchmark.spec.name == "my" and benchmark.h5_path == path and list(benchmark.videos) == ["video_1"]
    assert benchmark.videos["video_1"].annotator_scores is not None and data.names["video_1"] == "a.mp4"


def test_features_of_another_backbone_are_read_at_the_width_the_file_records(tmp_path):
    from config import Backbone
    from dataset.custom import custom_benchmark

    path = write_built(tmp_path / "r.h5", LabelKind.SEGMENTS, [make_part("a.mp4", width=512)], network=Backbone.RESNET)
    data = read_custom(path)
    assert (data.backbone_network, data.feature_dim, data.videos["video_1"].features.shape[1]) == ("ResNet", 512, 512)
    assert custom_benchmark(path)[0].feature_dim == 512
    assert custom_benchmark(write_built(tmp_path / "g.h5", LabelKind.SEGMENTS, [make_part("a.mp4")]))[0].feature_dim == 1024
    with h5py.File(path, "a") as h5:
        h5.attrs["feature_dim"] = 1024  # a file whose features are not the width it records
    with pytest.raises(DataError, match=r"features have shape \(20, 512\); expected \(n_steps, 1024\)"):
        read_custom(path)
