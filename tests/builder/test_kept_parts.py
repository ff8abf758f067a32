import json
import os

import numpy as np
import pytest

from builder.kept_parts import MANIFEST, PartStore, read_part
from dataset.errors import DataError
from tests.builder.helpers import make_part


def test_a_part_round_trips_and_is_dropped_when_its_video_changes(tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"one")
    store = PartStore(tmp_path / "my.h5", {"stride": 15})
    assert store.open(restart=False) == 0
    part = make_part("clip.mp4")
    part.seconds = {"kts": 1.5}
    store.write(source, part)
    back = store.finished(source)
    np.testing.assert_array_equal(back.features, part.features)
    np.testing.assert_array_equal(back.change_points, part.change_points)
    assert (back.n_frames, back.fps, back.source, back.seconds) == (300, 30.0, "clip.mp4", {"kts": 1.5})
    source.write_bytes(b"another version")
    os.utime(source, ns=(0, 0))
    assert store.finished(source) is None


def test_parts_of_other_settings_are_refused_unless_restarting(tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"x")
    PartStore(tmp_path / "my.h5", {"stride": 15}).open(restart=False)
    PartStore(tmp_path / "my.h5", {"stride": 15}).write(source, make_part("clip.mp4"))
    with pytest.raises(DataError, match="stride differ"):
        PartStore(tmp_path / "my.h5", {"stride": 5}).open(restart=False)
    store = PartStore(tmp_path / "my.h5", {"stride": 5})
    assert store.open(restart=True) == 0
    assert json.loads((store.folder / MANIFEST).read_text()) == {"stride": 5}


def test_a_damaged_part_is_a_data_error(tmp_path):
    path = tmp_path / "bad.h5"
    path.write_bytes(b"not hdf5")
    with pytest.raises(DataError, match="cannot be read as a finished video"):
        read_part(path)
