"""The VideoXum reader on a tiny synthetic set in the release's layout."""

import json

import numpy as np
import pytest
import torch.utils.data

from dataset.errors import DataError
from dataset.feature_settings import FeatureSettings, write_settings
from dataset.videoxum import (
    VideoXumDataset,
    VideoXumSplit,
    aligned_length,
    feature_folders,
    read_annotations,
)
from dataset.videoxum_synthetic import SyntheticVideoXumConfig, write_synthetic_videoxum


@pytest.fixture
def videoxum_dir(tmp_path):
    cfg = SyntheticVideoXumConfig(n_videos=7, dim=8, off_by_one=0.0, median_seconds=20, max_seconds=40)
    return write_synthetic_videoxum(tmp_path / "vx", cfg, progress=False)


def _rewrite_features(folder, video_id, n_frames):
    np.savez(folder / f"{video_id}.npz", features=np.ones((n_frames, 8), np.float32))


def test_records_carry_the_annotations_on_the_1fps_frames(videoxum_dir):
    dataset = VideoXumDataset(videoxum_dir, VideoXumSplit.TRAIN, "blip")
    assert dataset.synthetic and len(dataset) == 4
    entries = json.loads((videoxum_dir / "anno" / "train_videoxum.json").read_text())
    for entry, record in zip(entries, dataset, strict=True):
        onehot = np.array(entry["vsum_onehot"])
        assert record.key == entry["video_id"] and record.features.shape == (onehot.shape[1], 8)
        np.testing.assert_array_equal(record.user_summary, onehot)
        np.testing.assert_allclose(record.gtscore, onehot.mean(0))
        assert record.n_frames == record.n_steps == onehot.shape[1]
        np.testing.assert_array_equal(record.change_points[:, 0], record.picks)  # one shot per 1 fps frame
    assert dataset.feature_dim() == 8 and feature_folders(videoxum_dir) == ["blip"]


def test_dataloader_workers_stream_the_records(videoxum_dir):
    dataset = VideoXumDataset(videoxum_dir, VideoXumSplit.TEST, "blip")
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    assert [record.key for record in loader] == list(dataset.keys)


@pytest.mark.parametrize(("delta", "kept"), [(1, 0), (-1, -1)])
def test_features_one_frame_off_are_cut_to_the_shorter_as_videoxum_does(videoxum_dir, delta, kept):
    dataset = VideoXumDataset(videoxum_dir, VideoXumSplit.VAL, "blip")
    n = dataset.annotations[0].vsum_onehot.shape[1]
    _rewrite_features(dataset.folder, dataset.keys[0], n + delta)
    record = dataset[0]
    assert record.n_steps == n + kept and record.user_summary.shape == (10, n + kept) and len(record.gtscore) == n + kept


def test_a_larger_length_gap_names_the_video(videoxum_dir):
    dataset = VideoXumDataset(videoxum_dir, VideoXumSplit.VAL, "blip")
    _rewrite_features(dataset.folder, dataset.keys[0], dataset.annotations[0].vsum_onehot.shape[1] + 2)
    with pytest.raises(DataError, match=f"{dataset.keys[0]}.*feature frames"):
        dataset[0]
    assert aligned_length(10, 11, "x") == 10
    with pytest.raises(DataError, match="x: 10 feature frames"):
        aligned_length(10, 12, "x")


def test_a_missing_feature_file_names_the_video_and_the_folder(videoxum_dir):
    dataset = VideoXumDataset(videoxum_dir, VideoXumSplit.TEST, "blip")
    dataset.feature_path(1).unlink()
    with pytest.raises(DataError, match=rf"{dataset.keys[1]}.*{dataset.folder}|{dataset.folder}.*{dataset.keys[1]}"):
        VideoXumDataset(videoxum_dir, VideoXumSplit.TEST, "blip")
    with pytest.raises(DataError, match=rf"{dataset.keys[1]}.*missing from {dataset.folder}"):
        dataset[1]  # removed after the check: named when it is read


def test_unknown_feature_name_lists_the_present_ones(videoxum_dir):
    with pytest.raises(DataError, match=r"unknown feature set 'googlenet'.*present: blip"):
        VideoXumDataset(videoxum_dir, VideoXumSplit.TRAIN, "googlenet")


def test_empty_split_and_bad_annotations_name_the_file(videoxum_dir):
    path = VideoXumSplit.VAL.annotation_path(videoxum_dir)
    path.write_text("[]")
    with pytest.raises(DataError, match="val_videoxum.json: the val split holds no videos"):
        read_annotations(videoxum_dir, VideoXumSplit.VAL)
    path.write_text(json.dumps([{"video_id": "v_a", "duration": 3.0, "vsum_onehot": [[0, 2, 1]]}]))
    with pytest.raises(DataError, match="v_a: vsum_onehot holds values other than 0 and 1"):
        read_annotations(videoxum_dir, VideoXumSplit.VAL)
    path.write_text(json.dumps([{"video_id": "v_a", "vsum_onehot": [[0, 1]]}]))
    with pytest.raises(DataError, match="lacks duration"):
        read_annotations(videoxum_dir, VideoXumSplit.VAL)
    path.write_text(json.dumps([{"video_id": "v_a", "duration": "long", "vsum_onehot": [[0, 1]]}]))
    with pytest.raises(DataError, match="v_a: duration 'long'"):
        read_annotations(videoxum_dir, VideoXumSplit.VAL)
    path.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        read_annotations(videoxum_dir, VideoXumSplit.VAL)
    path.unlink()
    with pytest.raises(DataError, match="annotations not found.*val_videoxum.json"):
        read_annotations(videoxum_dir, VideoXumSplit.VAL)


def test_a_damaged_feature_file_is_named(videoxum_dir):
    dataset = VideoXumDataset(videoxum_dir, VideoXumSplit.TRAIN, "blip")
    dataset.feature_path(0).write_bytes(b"not a zip")
    with pytest.raises(DataError, match=f"{dataset.keys[0]}.npz: cannot read"):
        dataset[0]
    np.savez(dataset.feature_path(0), other=np.zeros((3, 8)))
    with pytest.raises(DataError, match="no 'features' array"):
        dataset[0]


def test_a_file_of_another_width_is_named_with_the_width_expected(videoxum_dir):
    """A folder that mixes feature sets fails on the file that differs, not on a torch shape error naming none."""
    dataset = VideoXumDataset(videoxum_dir, VideoXumSplit.TRAIN, "blip")
    odd = dataset.feature_path(len(dataset) - 1)
    np.savez(odd, features=np.ones((len(dataset[len(dataset) - 1].features), 5), np.float32))
    first = min(dataset.folder.glob("*.npz"))
    with pytest.raises(DataError, match=f"{odd}: features are 5-wide, but the folder's first file {first} gives 8"):
        dataset[len(dataset) - 1]
    write_settings(dataset.folder, FeatureSettings("googlenet", 8, 1.0, "preset", "random"))  # cli.extract_features' record wins
    fresh = VideoXumDataset(videoxum_dir, VideoXumSplit.TRAIN, "blip")
    with pytest.raises(DataError, match=f"5-wide, but the folder's settings record {dataset.folder / 'extraction.json'} gives 8"):
        fresh[len(fresh) - 1]


def test_the_annotation_table_gives_back_each_video_s_annotation():
    from dataset.videoxum import AnnotationTable, VideoXumAnnotation

    given = [VideoXumAnnotation("v_a", 2.5, 3, np.array([[1, 0, 1], [0, 1, 1]], np.uint8)),
             VideoXumAnnotation("v_b", 1.0, None, np.array([[1], [0], [1]], np.uint8))]
    table = AnnotationTable(given)
    assert len(table) == 2 and table.n_frames().tolist() == [3, 1]
    for original, back in zip(given, (table[0], table[1]), strict=True):
        assert (back.video_id, back.duration, back.sampled_frames) == (original.video_id, original.duration, original.sampled_frames)
        np.testing.assert_array_equal(back.vsum_onehot, original.vsum_onehot)
