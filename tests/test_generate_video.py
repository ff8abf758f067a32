"""generate_video.py end to end on small generated clips (moving shapes, hard cuts, a tone)."""

import json

import av
import numpy as np
import pytest
import torch

import generate_video
from models.backbone import BackboneInit
from models.csta import build_csta
from video.reader import count_frames
from video.synthetic import write_demo_video

SIZE = (160, 96)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "csta.pt"
    torch.save(build_csta(BackboneInit.RANDOM).state_dict(), path)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """4 scenes of 2 s at 30 fps with audio; returns (path, cut frames)."""
    path = tmp_path_factory.mktemp("clips") / "scenes.mp4"
    cuts = write_demo_video(path, scenes=4, seconds_per_scene=2.0, fps=30.0, size=SIZE, seed=1)
    return path, cuts


def run(*argv):
    return generate_video.main(generate_video.parse_args([*map(str, argv), "--quiet", "--device", "cpu"]))


def durations(path):
    with av.open(str(path)) as container:
        result = {}
        for stream in container.streams:
            if stream.duration is not None:
                result[stream.type] = float(stream.duration * stream.time_base)
        return result, container.streams.audio


def test_summary_video_json_and_picture(clip, weights, tmp_path):
    source, cuts = clip
    out = tmp_path / "out"
    assert run(source, "--weights", weights, "--out", out, "--random-backbone") == 0
    record = json.loads((out / "scenes.json").read_text())
    assert (out / "scenes.png").stat().st_size > 10_000
    assert record["n_frames"] == 240 and record["fps"] == pytest.approx(30.0)
    assert "RANDOM" in record["backbone"]
    shots = record["shots"]
    assert shots[0]["first_frame"] == 0 and shots[-1]["last_frame"] == 239
    assert all(a["last_frame"] + 1 == b["first_frame"] for a, b in zip(shots, shots[1:], strict=False))
    # (random GoogLeNet features are too alike for KTS to cut here; tests/summarize/test_segmentation.py
    # checks that cuts are found at full frame rate)
    kept = sum(s["frames_in_summary"] for s in shots)
    assert record["summary_frames"] == kept <= record["budget_frames"] == 36
    assert kept > 0
    chosen = [s for s in shots if s["chosen"]]
    assert all(s["frames_in_summary"] == s["last_frame"] - s["first_frame"] + 1 for s in chosen)
    assert (record["fallback"] is None) == bool(chosen)
    assert record["summary_ratio"] == pytest.approx(kept / 240)
    # the video holds exactly the chosen frames, with audio of the same length
    assert count_frames(out / "scenes.mp4") == kept
    lengths, audio = durations(out / "scenes.mp4")
    assert len(audio) == 1
    assert lengths["audio"] == pytest.approx(kept / 30.0, abs=1 / 30 + 0.03)


def test_one_shot_video_still_gets_a_summary(weights, tmp_path):
    source = tmp_path / "oneshot.mp4"
    write_demo_video(source, scenes=1, seconds_per_scene=3.0, fps=30.0, size=SIZE, audio=False)
    out = tmp_path / "out"
    assert run(source, "--weights", weights, "--out", out, "--random-backbone") == 0
    record = json.loads((out / "oneshot.json").read_text())
    assert record["fallback"] is not None and not record["chosen_shots"]
    assert record["summary_frames"] == record["budget_frames"] == 13
    assert record["fallback"]["last_frame"] - record["fallback"]["first_frame"] + 1 == 13
    assert count_frames(out / "oneshot.mp4") == 13


def test_video_shorter_than_a_second(weights, tmp_path):
    source = tmp_path / "short.mp4"
    write_demo_video(source, scenes=1, seconds_per_scene=0.8, fps=30.0, size=SIZE)  # 24 frames, with audio
    out = tmp_path / "out"
    assert run(source, "--weights", weights, "--out", out, "--random-backbone") == 0
    record = json.loads((out / "short.json").read_text())
    assert record["n_frames"] == 24 and record["budget_frames"] == 3
    assert 0 < record["summary_frames"] <= 3
    assert count_frames(out / "short.mp4") == record["summary_frames"]
    lengths, _ = durations(out / "short.mp4")
    assert lengths["audio"] == pytest.approx(record["summary_frames"] / 30.0, abs=1 / 30 + 0.03)


@pytest.mark.parametrize("suffix", [".avi", ".mkv", ".mov", ".webm"])
def test_other_input_containers(weights, tmp_path, suffix):
    source = tmp_path / f"clip{suffix}"
    write_demo_video(source, scenes=2, seconds_per_scene=1.5, fps=30.0, size=SIZE)
    out = tmp_path / "out"
    assert run(source, "--weights", weights, "--out", out, "--random-backbone") == 0
    record = json.loads((out / "clip.json").read_text())
    assert record["n_frames"] == 90
    assert count_frames(out / "clip.mp4") == record["summary_frames"] > 0
    lengths, audio = durations(out / "clip.mp4")
    assert len(audio) == 1 and lengths["audio"] == pytest.approx(record["summary_frames"] / 30.0, abs=1 / 30 + 0.03)


def test_container_that_reports_too_many_frames(weights, tmp_path, caplog):
    whole = tmp_path / "whole.avi"
    write_demo_video(whole, scenes=2, seconds_per_scene=1.5, fps=30.0, size=SIZE)
    source = tmp_path / "cut.avi"  # the AVI header still says 90 frames; the data holds fewer
    source.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    out = tmp_path / "out"
    with caplog.at_level("INFO"):
        assert run(source, "--weights", weights, "--out", out, "--random-backbone") == 0
    record = json.loads((out / "cut.json").read_text())
    decoded = count_frames(source)
    assert 15 <= decoded < 90
    assert record["n_frames"] == decoded and record["shots"][-1]["last_frame"] == decoded - 1
    assert count_frames(out / "cut.mp4") == record["summary_frames"] > 0
    assert f"the container reports 90 frames but {decoded} were decoded" in caplog.text


def test_folder_run_continues_past_bad_files_and_fails_at_the_end(clip, weights, tmp_path, caplog):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.mp4").write_bytes(clip[0].read_bytes())
    (folder / "broken.mp4").write_bytes(b"\x00\x01 not a video " * 100)
    write_demo_video(folder / "tiny.mp4", scenes=1, seconds_per_scene=0.3, fps=30.0, size=SIZE, audio=False)  # 9 frames
    (folder / "notes.txt").write_text("ignored: not a video extension")
    out = tmp_path / "out"
    assert run(folder, "--weights", weights, "--out", out, "--random-backbone", "--no-extras") == 1
    assert (out / "good.mp4").exists()
    assert sorted(p.name for p in out.iterdir()) == ["good.mp4"]
    failures = caplog.text.split("failed:")[-1]
    assert "broken.mp4" in failures and "tiny.mp4" in failures and "only 9 frame(s)" in failures


def test_existing_outputs_are_kept_unless_overwrite(clip, weights, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "scenes.mp4").write_bytes(b"an earlier summary")
    assert run(clip[0], "--weights", weights, "--out", out, "--random-backbone", "--no-extras") == 1
    assert (out / "scenes.mp4").read_bytes() == b"an earlier summary"
    assert run(clip[0], "--weights", weights, "--out", out, "--random-backbone", "--no-extras", "--overwrite") == 0
    assert count_frames(out / "scenes.mp4") > 0


def test_reference_flags_and_other_containers(clip, weights, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(clip[0].read_bytes())
    out = tmp_path / "out"
    code = run("--input_is_file", "false", "--dir_path", folder, "--ext", "mp4", "--save_path", out,
               "--weight_path", weights, "--sample_rate", "15", "--random-backbone", "--format", "mkv", "--no-extras")
    assert code == 0
    assert count_frames(out / "a.mkv") > 0


@pytest.mark.parametrize("problem", ["missing", "wrong"])
def test_weights_are_checked_before_any_video_is_decoded(clip, tmp_path, caplog, monkeypatch, problem):
    path = tmp_path / "w.pt"
    if problem == "wrong":
        torch.save({"not": torch.zeros(1)}, path)
    decoded = []
    monkeypatch.setattr("summarize.analysis.sampled_frames", lambda *a, **k: decoded.append(a) or iter(()))
    assert run(clip[0], "--weights", path, "--out", tmp_path / "out", "--random-backbone") == 2
    assert str(path) in caplog.text and not decoded


def test_unreadable_input_folder_is_named(clip, weights, tmp_path, caplog, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(clip[0].read_bytes())
    real_iterdir = type(folder).iterdir

    def denied(path):
        if path == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real_iterdir(path)

    monkeypatch.setattr(type(folder), "iterdir", denied)  # chmod cannot stop root, who runs CI
    assert run(folder, "--weights", weights, "--out", tmp_path / "out", "--random-backbone") == 2
    assert f"input folder {folder} cannot be read (Permission denied)" in caplog.text
    assert not (tmp_path / "out" / "a.mp4").exists()


def test_unwritable_output_folder(clip, weights, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    assert run(clip[0], "--weights", weights, "--out", blocker / "sub", "--random-backbone") == 2
    assert "cannot be written" in caplog.text


def test_missing_imagenet_backbone_names_the_file(clip, weights, offline_empty_torch_home, tmp_path, caplog):
    assert run(clip[0], "--weights", weights, "--out", tmp_path / "out") == 2
    assert "googlenet-1378be20.pth" in caplog.text and "--backbone-weights" in caplog.text


def test_stand_in_imagenet_backbone_is_labelled(clip, weights, stand_in_torch_home, tmp_path):
    out = tmp_path / "out"
    assert run(clip[0], "--weights", weights, "--out", out, "--no-video") == 0
    assert "STAND-IN" in json.loads((out / "scenes.json").read_text())["backbone"]


def test_full_route_runs_end_to_end(clip, weights, tmp_path):
    out = tmp_path / "full"
    assert run(clip[0], "--weights", weights, "--out", out, "--random-backbone", "--no-video", "--segmentation", "full") == 0
    record = json.loads((out / "scenes.json").read_text())
    assert record["segmentation"] == "full" and record["shots"][-1]["last_frame"] == 239


def test_backbone_file_option(clip, weights, tmp_path, caplog):
    from torchvision.models import googlenet

    torch.manual_seed(0)
    local = tmp_path / "googlenet.pth"
    torch.save(googlenet(weights=None, aux_logits=True, init_weights=True).state_dict(), local)
    out = tmp_path / "out"
    assert run(clip[0], "--weights", weights, "--out", out, "--backbone-weights", local, "--no-video") == 0
    assert str(local) in json.loads((out / "scenes.json").read_text())["backbone"]
    assert run(clip[0], "--weights", weights, "--out", out, "--backbone-weights", tmp_path / "nope.pth") == 2
    assert "nope.pth" in caplog.text


def test_needs_an_input():
    with pytest.raises(SystemExit):
        generate_video.parse_args([])
    with pytest.raises(SystemExit):
        generate_video.parse_args(["x.mp4", "--ratio", "1.5"])
    with pytest.raises(SystemExit):
        generate_video.parse_args(["x.mp4", "--ratio", "0.2", "--seconds", "10"])
    with pytest.raises(SystemExit):
        generate_video.parse_args(["x.mp4", "--seconds", "0"])


def test_ratio_changes_the_budget(clip, weights, tmp_path):
    out = tmp_path / "out"
    assert run(clip[0], "--weights", weights, "--out", out, "--random-backbone", "--no-video", "--ratio", "0.3") == 0
    record = json.loads((out / "scenes.json").read_text())
    assert record["budget_frames"] == 72 and 0 < record["summary_frames"] <= 72
    assert np.isfinite([s["score"] for s in record["shots"]]).all()


def test_seconds_set_the_summary_length(clip, weights, tmp_path):
    out = tmp_path / "out"
    assert run(clip[0], "--weights", weights, "--out", out, "--random-backbone", "--seconds", "2.5") == 0
    record = json.loads((out / "scenes.json").read_text())
    assert record["budget_frames"] == 75 and record["budget_seconds"] == pytest.approx(2.5)
    assert 0 < record["summary_frames"] <= 75
    assert count_frames(out / "scenes.mp4") == record["summary_frames"]


def test_variable_frame_rate_video_keeps_its_timing(weights, tmp_path):
    from tests.video.helpers import write_variable_rate_clip

    source = tmp_path / "vfr.mp4"
    times = write_variable_rate_clip(source, size=SIZE)
    out = tmp_path / "out"
    assert run(source, "--weights", weights, "--out", out, "--random-backbone", "--ratio", "0.5") == 0
    record = json.loads((out / "vfr.json").read_text())
    assert record["variable_frame_rate"] is True
    assert record["n_frames"] == 140 and record["duration_seconds"] == pytest.approx(6.0, abs=0.04)
    for shot in record["shots"]:
        assert shot["start_seconds"] == pytest.approx(times[shot["first_frame"]], abs=1e-3)
    lengths, _ = durations(out / "vfr.mp4")
    assert count_frames(out / "vfr.mp4") == record["summary_frames"]
    assert lengths["video"] == pytest.approx(record["summary_seconds"], abs=0.11)
    assert lengths["audio"] == pytest.approx(record["summary_seconds"], abs=0.05)
