"""generate_video.py --ray (summarize/library.py) on a real local Ray (2 CPUs): the same outputs as
the sequential run, a broken video reported while the others are done."""

import json

import pytest
import torch

import generate_video
from models.backbone import BackboneInit
from models.csta import build_csta
from summarize.library import LibraryConfig, Placement, WorkersUnavailable, place_workers
from video.synthetic import write_demo_video

SIZE = (160, 96)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Two generated clips and a file that is not a video; random CSTA weights."""
    folder = tmp_path_factory.mktemp("library")
    videos = folder / "videos"
    videos.mkdir()
    write_demo_video(videos / "a.mp4", scenes=2, seconds_per_scene=1.5, fps=30.0, size=SIZE, seed=1)
    (videos / "b_broken.mp4").write_bytes(b"\x00\x01 not a video " * 100)
    write_demo_video(videos / "c.mkv", scenes=3, seconds_per_scene=1.0, fps=30.0, size=SIZE, seed=2)
    torch.manual_seed(0)
    weights = folder / "csta.pt"
    torch.save(build_csta(BackboneInit.RANDOM).state_dict(), weights)
    return videos, weights


def run(*argv):
    return generate_video.main(generate_video.parse_args([*map(str, argv), "--random-backbone", "--quiet", "--device", "cpu"]))


def test_ray_run_writes_what_the_sequential_run_writes(local_ray, library, tmp_path, caplog):
    videos, weights = library
    sequential, on_ray = tmp_path / "sequential", tmp_path / "ray"
    assert run(videos, "--weights", weights, "--out", sequential) == 1
    caplog.clear()
    with caplog.at_level("INFO"):
        assert run(videos, "--weights", weights, "--out", on_ray, "--ray") == 1
    assert f"{torch.get_num_threads()} torch thread(s) each" in caplog.text
    failures = caplog.text.split("failed:")[-1]
    assert "1 of 3 video(s) failed" in caplog.text and "b_broken.mp4" in failures and "a.mp4" not in failures

    names = sorted(path.name for path in sequential.iterdir())
    assert names == ["a.json", "a.mp4", "a.png", "c.json", "c.mp4", "c.png"]
    assert sorted(path.name for path in on_ray.iterdir()) == names
    for name in names:
        first, second = (sequential / name).read_bytes(), (on_ray / name).read_bytes()
        if name.endswith(".json"):
            first, second = json.loads(first), json.loads(second)
            assert first["summary_video"].replace(str(sequential), str(on_ray)) == second["summary_video"]
            first.pop("summary_video"), second.pop("summary_video")
        assert first == second, name

    caplog.clear()
    with caplog.at_level("INFO"):  # run again: the finished videos are recognised, only the broken one is tried
        assert run(videos, "--weights", weights, "--out", on_ray, "--ray") == 1
    assert "2 video(s) already summarised" in caplog.text and "1 worker(s)" in caplog.text  # never more workers than videos


def test_workers_that_cannot_load_the_networks_stop_the_run_before_any_video(local_ray, library, tmp_path, caplog):
    videos, weights = library
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert run(videos, "--weights", bad, "--out", tmp_path / "out", "--ray", "--ray-workers", "1") == 2
    assert str(bad.name) in caplog.text and "could not load the networks" in caplog.text
    assert not [path for path in (tmp_path / "out").iterdir() if not path.name.startswith(".")]


@pytest.mark.parametrize(("workers", "use_gpus", "cpus", "gpus", "threads", "expected"), [
    (None, True, 2, 0, 1, Placement(2, 0.0, 1)),  # one single-threaded CPU worker per CPU
    (None, True, 8, 0, 4, Placement(2, 0.0, 4)),  # CPU workers of as many CPUs as torch threads
    (None, True, 8, 2, 4, Placement(2, 1.0)),  # one worker per GPU
    (None, False, 8, 2, 1, Placement(3, 0.0, 1)),  # --device cpu: CPU workers; never more than the videos
    (8, True, 8, 2, 4, Placement(3, 0.66)),  # more workers than GPUs: they share them
])
def test_place_workers(workers, use_gpus, cpus, gpus, threads, expected):
    assert place_workers(LibraryConfig(workers=workers, use_gpus=use_gpus), 3, cpus, gpus, threads) == expected


def test_more_cpu_workers_than_cpus_are_refused():
    with pytest.raises(WorkersUnavailable, match="3 workers of 1 CPU.s. asked for, but the Ray cluster has 2 CPU"):
        place_workers(LibraryConfig(workers=3), 5, 2, 0, 1)
