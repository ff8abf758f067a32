"""build_dataset.py --ray (builder/ray_build.py) on a real local Ray (2 CPUs): the file is the sequential
build's, dataset for dataset and attribute for attribute (features, picks and shots: what the workers
make; labels are applied by the driver from the same parts either way); a video that cannot be
decoded is listed while the others are built; a second run resumes from the kept parts and only
tries the broken one."""

import json
import logging

import h5py
import numpy as np
import pytest

import build_dataset
from video.synthetic import write_demo_video

SIZE = (96, 64)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Two generated clips and a file that is not a video."""
    folder = tmp_path_factory.mktemp("ray_build")
    videos = folder / "videos"
    write_demo_video(videos / "a.mp4", scenes=5, seconds_per_scene=[1, 0.5, 1, 0.5, 1], fps=30.0, size=SIZE, audio=False, seed=1)
    (videos / "b_broken.mp4").write_bytes(b"\x00\x01 not a video " * 100)
    write_demo_video(videos / "c.mkv", scenes=5, seconds_per_scene=[1, 0.4, 1, 0.4, 1], fps=25.0, size=SIZE, audio=False, seed=2)
    return videos


def build(*argv):
    return build_dataset.main(build_dataset.parse_args([*map(str, argv), "--random-backbone", "--device", "cpu", "--quiet"]))


def contents(path):
    """Every dataset and attribute of an h5 file, by name."""
    with h5py.File(path, "r") as h5:
        found = {"/": dict(h5.attrs)}
        h5.visititems(lambda name, item: found.__setitem__(name, item[()] if isinstance(item, h5py.Dataset) else dict(item.attrs)))
    return found


def test_a_ray_build_writes_the_sequential_build_s_file(local_ray, clips, tmp_path, caplog):
    videos = clips
    sequential, on_ray = tmp_path / "sequential.h5", tmp_path / "ray.h5"
    assert build(videos, "--out", sequential) == 1
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert build(videos, "--out", on_ray, "--ray") == 1
    assert "Ray: " in caplog.text and "torch thread(s) each" in caplog.text
    left_out = caplog.text.split("left out (1)")[-1]
    assert "b_broken.mp4" in left_out and "a.mp4" not in left_out and "c.mkv" not in left_out

    first, second = contents(sequential), contents(on_ray)
    assert sorted(first) == sorted(second) and "video_2/features" in first and "video_3" not in first
    for name, value in first.items():
        if isinstance(value, dict):
            assert value.keys() == second[name].keys(), name
            assert all(np.array_equal(value[k], second[name][k]) for k in value), name
        else:
            assert value.dtype == second[name].dtype and np.array_equal(value, second[name]), name
    assert [first[f"video_{i}/video_name"] for i in (1, 2)] == [b"a.mp4", b"c.mkv"]
    assert first["/"]["backbone_origin"] == "random" and first["/"]["labels"] == "none"

    report = json.loads((tmp_path / "ray.build.json").read_text())
    assert report["videos"] == ["a.mp4", "c.mkv"] and report["resumed"] == 0 and len(report["failed"]) == 1
    assert len(list((tmp_path / "ray.h5.parts").glob("*.h5"))) == 2  # kept: a video was left out

    caplog.clear()
    with caplog.at_level(logging.INFO):  # again: the finished videos come from the parts, only the broken one is tried
        assert build(videos, "--out", on_ray, "--ray", "--overwrite") == 1
    assert "resuming: 2 of 3 videos" in caplog.text and "1 worker(s)" in caplog.text
    assert json.loads((tmp_path / "ray.build.json").read_text())["resumed"] == 2
    assert contents(on_ray).keys() == first.keys()


def test_ray_flags(tmp_path, capsys):
    cfg = build_dataset.config_from(build_dataset.parse_args(["v/", "--out", "o.h5", "--ray-address", "auto", "--ray-workers", "3"]))
    assert cfg.ray and cfg.ray_address == "auto" and cfg.ray_workers == 3
    assert not build_dataset.config_from(build_dataset.parse_args(["v/", "--out", "o.h5"])).ray
    with pytest.raises(SystemExit):
        build_dataset.parse_args(["v/", "--out", "o.h5", "--ray-workers", "2"])
    assert "--ray-workers needs --ray or --ray-address" in capsys.readouterr().err
