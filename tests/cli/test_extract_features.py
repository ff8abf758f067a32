import json
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
    names = sorted(path.name for path in on_ray.glob("*.npz"))
    assert names == sorted(path.name for path in sequential.glob("*.npz")) == ["v_a.npz", "v_c.npz"]
    assert (on_ray / "extraction.json").read_text() == (sequential / "extraction.json").read_text()  # the same settings
    for name in names:
        first, second = np.load(sequential / name)["features"], np.load(on_ray / name)["features"]
        assert first.shape == ({"v_a.npz": 2, "v_c.npz": 2}[name], 1024)
        np.testing.assert_array_equal(first, second)  # bit for bit

    before = {name: (on_ray / name).stat().st_mtime_ns for name in names}
    caplog.clear()
    assert run(on_ray, "--ray") == 1  # again: the finished videos are skipped, only the broken one is tried, on one worker
    assert "extracted 0, skipped 2 already there, failed 1" in caplog.text and "1 worker(s)" in caplog.text
    assert {name: (on_ray / name).stat().st_mtime_ns for name in names} == before


def test_a_folder_extracted_with_other_settings_is_refused_naming_both(tmp_path, caplog):
    """Resumed with another backbone or rate, a folder would mix widths and rates: refused before any network loads,
    naming both settings and the record; --overwrite extracts every given video again with the new settings."""
    caplog.set_level(logging.INFO)
    write_demo_video(tmp_path / "videos" / "v_x.mp4", scenes=1, seconds_per_scene=1.0, fps=10, size=(64, 48), audio=False)
    out = tmp_path / "feat"
    argv = [str(tmp_path / "videos"), "--out", str(out), "--random-backbone", "--quiet"]
    assert main(parse_args(argv)) == 0
    recorded = json.loads((out / "extraction.json").read_text())
    assert recorded["backbone"] == "googlenet" and recorded["feature_width"] == 1024 and recorded["fps"] == 1.0
    before = (out / "v_x.npz").read_bytes()
    caplog.clear()
    assert main(parse_args([*argv, "--backbone", "resnet", "--fps", "2"])) == 2
    assert str(out / "extraction.json") in caplog.text
    assert "backbone googlenet (recorded) vs resnet (asked)" in caplog.text and "fps 1.0 (recorded) vs 2.0 (asked)" in caplog.text
    assert "feature_width 1024 (recorded) vs 512 (asked)" in caplog.text
    assert (out / "v_x.npz").read_bytes() == before and json.loads((out / "extraction.json").read_text()) == recorded
    np.savez(out / "v_other.npz", features=np.zeros((2, 1024), np.float32))  # not among the videos: left as it was, and said
    assert main(parse_args([*argv, "--backbone", "resnet", "--overwrite"])) == 0
    assert np.load(out / "v_x.npz")["features"].shape == (1, 512)
    assert "1 feature file(s) in" in caplog.text and "(v_other.npz, ...) are not among the given videos" in caplog.text
    assert json.loads((out / "extraction.json").read_text())["backbone"] == "resnet"


def test_a_folder_without_a_record_is_checked_by_its_files_width(tmp_path, caplog):
    out = tmp_path / "feat"
    out.mkdir()
    np.savez(out / "v_old.npz", features=np.zeros((3, 512), dtype=np.float32))  # a folder from before the record
    write_demo_video(tmp_path / "videos" / "v_x.mp4", scenes=1, seconds_per_scene=1.0, fps=10, size=(64, 48), audio=False)
    assert main(parse_args([str(tmp_path / "videos"), "--out", str(out), "--random-backbone", "--quiet"])) == 2
    assert f"{out / 'v_old.npz'} holds 512-wide features, this run makes 1024-wide ones" in caplog.text
    assert not (out / "v_x.npz").exists() and not (out / "extraction.json").exists()
