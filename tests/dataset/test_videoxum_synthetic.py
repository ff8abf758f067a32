"""The synthetic VideoXum writer: the release's layout, its split proportions, the SYNTHETIC label."""

import json

import numpy as np
import pytest

from dataset.videoxum import SYNTHETIC_MARKER, VideoXumSplit, read_annotations
from dataset.videoxum_synthetic import SyntheticVideoXumConfig, split_sizes, write_synthetic_videoxum


def test_split_sizes_follow_the_release():
    assert split_sizes(14001) == {VideoXumSplit.TRAIN: 8000, VideoXumSplit.VAL: 2001, VideoXumSplit.TEST: 4000}
    assert min(split_sizes(3).values()) == 1 and sum(split_sizes(30).values()) == 30


def test_layout_fields_and_lengths(tmp_path):
    cfg = SyntheticVideoXumConfig(n_videos=6, features="googlenet", dim=4, off_by_one=1.0, median_seconds=15, max_seconds=30)
    out = write_synthetic_videoxum(tmp_path, cfg, progress=False)
    assert "SYNTHETIC" in (out / SYNTHETIC_MARKER).read_text()
    entries = json.loads((out / "anno" / "test_videoxum.json").read_text())
    for entry in entries:
        assert {"video_id", "duration", "sampled_frames", "timestamps", "tsum", "vsum", "vsum_onehot"} <= entry.keys()
        onehot = np.array(entry["vsum_onehot"])
        assert onehot.shape == (10, entry["sampled_frames"]) and entry["sampled_frames"] == np.ceil(entry["duration"])
        assert len(entry["vsum"]) == len(entry["timestamps"]) == len(entry["tsum"]) and all(len(s) == 10 for s in entry["vsum"])
        features = np.load(out / "feat" / "googlenet" / f"{entry['video_id']}.npz")["features"]
        assert features.dtype == np.float32 and abs(len(features) - onehot.shape[1]) == 1  # off_by_one = 1.0
    assert len(read_annotations(out, VideoXumSplit.TRAIN)) == split_sizes(6)[VideoXumSplit.TRAIN] == 3


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        SyntheticVideoXumConfig(n_videos=2)
