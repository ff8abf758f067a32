import logging
import subprocess
import sys

import numpy as np
import pytest
import torch

from cli.extract_features import BACKBONES, main, parse_args
from config import Backbone
from models.backbone import backbone_spec
from video.synthetic import write_demo_video


def test_backbone_choices_match_the_library():
    assert [backbone_spec(name).backbone for name in BACKBONES] == list(Backbone)


@pytest.mark.parametrize("argv", [["v.mp4"], ["v.mp4", "--out", "o", "--fps", "0"], ["v.mp4", "--out", "o", "--fps", "x"],
                                  ["v.mp4", "--out", "o", "--random-backbone", "--backbone-weights", "w.pth"],
                                  ["v.mp4", "--out", "o", "--backbone", "resnet", "--exact"]])
def test_argument_errors(argv):
    with pytest.raises(SystemExit) as caught:
        parse_args(argv)
    assert caught.value.code == 2


def test_help_does_not_import_torch():
    code = "import sys; from cli.extract_features import parse_args\ntry: parse_args(['--help'])\nexcept SystemExit: pass\nprint('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip().endswith("False")


def test_extracts_a_folder_then_skips_it(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    write_demo_video(tmp_path / "videos" / "v_x.mp4", scenes=1, seconds_per_scene=1.0, fps=10, size=(64, 48), audio=False)
    argv = [str(tmp_path / "videos"), "--out", str(tmp_path / "feat" / "googlenet"), "--random-backbone", "--quiet"]
    assert main(parse_args(argv)) == 0
    assert np.load(tmp_path / "feat" / "googlenet" / "v_x.npz")["features"].shape == (1, 1024)
    assert main(parse_args(argv)) == 0
    assert "skipped 1" in caplog.text
    assert main(parse_args([str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--random-backbone"])) == 1


def test_ray_workers_need_ray():
    with pytest.raises(SystemExit):
        parse_args(["v.mp4", "--out", "o", "--ray-workers", "2"])
    assert parse_args(["v.mp4", "--out", "o", "--ray-address", "auto", "--ray-workers", "2"]).ray_workers == 2


def test_ray_writes_what_the_sequential_run_writes_and_resumes(local_ray, tmp_path, caplog):
    """Two tiny clips and a file that is not a video, on a real local Ray of 2 CPUs."""
    caplog.set_level(logging.INFO)
    videos = tmp_path / "videos"
    write_demo_video(videos / "v_a.mp4", scenes=2, seconds_per_scene=0.6, fps=10, size=(64, 48), audio=False, seed=1)
    (videos / "v_broken.mp4").write_bytes(b"\x00\x01 not a video " * 100)
    write_demo_video(videos / "v_c.mkv", scenes=1, seconds_per_scene=1.5, fps=10, size=(64, 48), audio=False, seed=2)
    sequential, on_ray = tmp_path / "sequential", tmp_path / "ray"

    def run(out, *extra):
        return main(parse_args([str(videos), "--out", str(out), "--random-backbone", "--quiet", "--device", "cpu", *extra]))

    assert run(sequential) == 1
    caplog.clear()
    assert run(on_ray, "--ray") == 1
    assert f"{torch.get_num_threads()} torch thread(s) each" in caplog.text  # the sequential run's count: the same float sums
    assert "extracted 2, skipped 0 already there, failed 1" in caplog.text
    assert "failed v_broken" in caplog.text and "v_broken.mp4" in caplog.text
    names = sorted(path.name for path in on_ray.iterdir())
    assert names == sorted(path.name for path in sequential.iterdir()) == ["v_a.npz", "v_c.npz"]
    for name in names:
        first, second = np.load(sequential / name)["features"], np.load(on_ray / name)["features"]
        assert first.shape == ({"v_a.npz": 2, "v_c.npz": 2}[name], 1024)
        np.testing.assert_array_equal(first, second)  # bit for bit

    before = {name: (on_ray / name).stat().st_mtime_ns for name in names}
    caplog.clear()
    assert run(on_ray, "--ray") == 1  # again: the finished videos are skipped, only the broken one is tried, on one worker
    assert "extracted 0, skipped 2 already there, failed 1" in caplog.text and "1 worker(s)" in caplog.text
    assert {name: (on_ray / name).stat().st_mtime_ns for name in names} == before
