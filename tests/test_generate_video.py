"""generate_video.py end to end on small generated clips (moving shapes, hard cuts, a tone)."""

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest
import torch

import generate_video
from cli.method_options import model_flag_dests
from features import decode_ahead
from models.backbone import BackboneInit
from models.csta import build_csta
from summarize import picture_ahead
from video.reader import count_frames, probe
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
    # (random GoogLeNet features are too alike for KTS to cut here; tests/features/test_segmentation.py
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
def test_weights_are_checked_before_any_video_is_analysed(clip, tmp_path, caplog, monkeypatch, problem):
    path = tmp_path / "w.pt"
    if problem == "wrong":
        torch.save({"not": torch.zeros(1)}, path)
    analysed, helpers = [], []
    monkeypatch.setattr("summarize.runner.analyse_video", lambda *a, **k: analysed.append(a))
    real_start = decode_ahead.start_decoding
    monkeypatch.setattr(decode_ahead, "start_decoding", lambda *a: helpers.append(real_start(*a)) or helpers[-1])
    assert run(clip[0], "--weights", path, "--out", tmp_path / "out", "--random-backbone", "--segmentation", "full") == 2
    assert str(path) in caplog.text and not analysed
    # a missing file is seen before anything starts; contents only once torch is loaded, by when
    # the helper decoding the video ahead has started: it is stopped
    assert len(helpers) == (problem == "wrong")
    assert not any(helper.helper_running for helper in helpers)


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


def test_full_route_runs_end_to_end_from_frames_decoded_ahead(clip, weights, tmp_path, monkeypatch):
    helpers = []
    real_start = decode_ahead.start_decoding
    monkeypatch.setattr(decode_ahead, "start_decoding", lambda *a: helpers.append(real_start(*a)) or helpers[-1])
    out = tmp_path / "full"
    assert run(clip[0], "--weights", weights, "--out", out, "--random-backbone", "--no-video", "--segmentation", "full") == 0
    record = json.loads((out / "scenes.json").read_text())
    assert record["segmentation"] == "full" and record["shots"][-1]["last_frame"] == 239
    assert len(helpers) == 1 and not helpers[0].helper_running  # the first video's frames came from the helper

    monkeypatch.setattr(generate_video, "_decode_ahead", lambda *a: None)  # decoded in this process instead
    here = tmp_path / "here"
    assert run(clip[0], "--weights", weights, "--out", here, "--random-backbone", "--no-video", "--segmentation", "full") == 0
    again = json.loads((here / "scenes.json").read_text())
    assert (again["shots"], again["chosen_shots"], again["summary_frames"]) == (record["shots"], record["chosen_shots"], record["summary_frames"])


def test_a_helper_that_dies_leaves_the_video_to_be_decoded_here(clip, weights, tmp_path, monkeypatch, caplog):
    real_start = decode_ahead.start_decoding

    def start_then_kill(*args):
        ahead = real_start(*args)
        os.kill(ahead._process.pid, signal.SIGKILL)  # as the system's out-of-memory killer would
        return ahead

    monkeypatch.setattr(decode_ahead, "start_decoding", start_then_kill)
    out = tmp_path / "full"
    assert run(clip[0], "--weights", weights, "--out", out, "--random-backbone", "--no-video", "--segmentation", "full") == 0
    assert "the process decoding it stopped before the end (exit code -9); decoding it in this process instead" in caplog.text
    record = json.loads((out / "scenes.json").read_text())
    assert record["shots"][-1]["last_frame"] == 239


def test_pictures_drawn_by_the_helper_are_those_drawn_here(clip, weights, tmp_path, monkeypatch):
    helpers = []
    real_start = picture_ahead.start_picture_helper
    monkeypatch.setattr(picture_ahead, "start_picture_helper", lambda: helpers.append(real_start()) or helpers[-1])
    videos = tmp_path / "in"
    videos.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (videos / name).write_bytes(clip[0].read_bytes())
    def not_here(*args):
        raise AssertionError("drawn in the run's process, not by the helper")

    out = tmp_path / "helped"
    with monkeypatch.context() as patch:
        patch.setattr(picture_ahead, "draw_picture", not_here)
        assert run(videos, "--weights", weights, "--out", out, "--random-backbone", "--no-video") == 0
    assert len(helpers) == 1 and not helpers[0]._process.is_alive()  # one for the run, stopped at its end

    monkeypatch.setattr(generate_video, "_picture_helper", lambda *a: None)
    here = tmp_path / "here"
    assert run(videos, "--weights", weights, "--out", here, "--random-backbone", "--no-video") == 0
    pictures = sorted(here.glob("*.png"))
    assert len(pictures) == 2 and all((out / p.name).read_bytes() == p.read_bytes() for p in pictures)


def test_no_picture_helper_without_pictures_and_none_left_when_the_weights_are_wrong(clip, tmp_path, monkeypatch):
    helpers = []
    real_start = picture_ahead.start_picture_helper
    monkeypatch.setattr(picture_ahead, "start_picture_helper", lambda: helpers.append(real_start()) or helpers[-1])
    path = tmp_path / "w.pt"
    torch.save({"not": torch.zeros(1)}, path)
    assert run(clip[0], "--weights", path, "--out", tmp_path / "out", "--random-backbone") == 2
    assert len(helpers) == 1 and not helpers[0]._process.is_alive()
    assert run(clip[0], "--weights", path, "--out", tmp_path / "out", "--random-backbone", "--no-extras") == 2
    assert len(helpers) == 1


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


# --- the command line answers at once, and every number is checked as it is parsed ---------------

ROOT = Path(__file__).resolve().parents[1]


def test_help_user_errors_and_planning_import_no_torch(clip, weights, tmp_path):
    # Run in a fresh interpreter: this one has torch loaded already.
    script = textwrap.dedent(f"""
        import os
        import sys
        import generate_video as g
        try:
            g.parse_args(["--help"])
        except SystemExit as done:
            assert done.code == 0
        assert g.main(g.parse_args(["{tmp_path / 'missing.mp4'}", "--out", "{tmp_path / 'out'}"])) == 2
        # an output over an input
        assert g.main(g.parse_args([sys.argv[1], "--weights", sys.argv[2], "--out", os.path.dirname(sys.argv[1])])) == 2
        g.plan_run(g.parse_args([sys.argv[1], "--weights", sys.argv[2], "--out", "{tmp_path / 'planned'}"]))
        heavy = sorted(m for m in ("torch", "torchvision", "matplotlib", "cv2") if m in sys.modules)
        assert not heavy, heavy
    """)
    done = subprocess.run([sys.executable, "-c", script, str(clip[0]), str(weights)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "missing.mp4: no such file or folder" in done.stderr and "would replace the input" in done.stderr
    assert "usage:" in done.stdout


def test_every_numeric_flag_is_checked_when_parsed(capsys):
    numeric = [a for a in generate_video.build_parser()._actions  # the model options: tests/cli/test_method_options.py
               if a.type not in (None, Path, str, generate_video.str2bool) and a.dest not in model_flag_dests()]
    assert {a.dest for a in numeric} == {"ratio", "seconds", "sample_rate", "batch_size", "ray_workers"}
    for action in numeric:
        assert action.type not in (int, float), f"{action.dest}: a bare {action.type.__name__} takes nan, inf and any size"
        for bad in ("nan", "inf", "-inf", "1e999", "-1", "0", "1e12", "ten", ""):
            with pytest.raises(SystemExit) as exited:
                generate_video.parse_args(["x.mp4", action.option_strings[0], bad, "--ray"])
            assert exited.value.code == 2, (action.dest, bad)
            assert f"argument {action.option_strings[0]}" in capsys.readouterr().err
    args = generate_video.parse_args(["x.mp4", "--seconds", "2.5", "--sample_rate", "15", "--batch-size", "4"])
    assert (args.seconds, args.sample_rate, args.batch_size) == (2.5, 15, 4)
    assert generate_video.parse_args(["x.mp4", "--ratio", "1"]).ratio == 1.0


# Flags that do not change what a summary is (names, which files, how loudly). Every other flag must
# change the fingerprint, so that a rerun never skips a video whose summary would now differ.
SAME_SUMMARY = {"help", "inputs", "out", "ext", "format", "no_video", "no_extras", "overwrite", "quiet",
                "input_is_file", "file_path", "dir_path", "ray", "ray_address", "ray_workers"}


def test_every_flag_that_changes_a_summary_changes_the_fingerprint(weights, tmp_path):
    other_weights = tmp_path / "other.pt"
    other_weights.write_bytes(weights.read_bytes())
    backbone = tmp_path / "googlenet.pth"
    backbone.write_bytes(b"a local backbone file")
    changes = {"weights": ["--weights", other_weights], "ratio": ["--ratio", "0.3"], "seconds": ["--seconds", "5"],
               "sample_rate": ["--sample_rate", "10"], "segmentation": ["--segmentation", "full"],
               "video_codec": ["--video-codec", "mpeg4"], "audio_codec": ["--audio-codec", "libopus"], "device": ["--device", "cpu"],
               "batch_size": ["--batch-size", "16"], "backbone_weights": ["--backbone-weights", backbone],
               "random_backbone": ["--random-backbone"]}
    dests = {action.dest for action in generate_video.build_parser()._actions}
    assert dests == SAME_SUMMARY | set(changes) | model_flag_dests(), "a new flag: add it to SAME_SUMMARY or make run_settings cover it"
    base = ["x.mp4", "--weights", str(weights)]
    settings = generate_video.run_settings(generate_video.parse_args(base))
    for dest, extra in changes.items():
        assert generate_video.run_settings(generate_video.parse_args([*base, *map(str, extra)])) != settings, dest
    # model options, some of which leave no key in the weights (CA-SUM's block size, CSTA's softmax axis)
    for extra in (["--method", "CA-SUM"], ["--method", "CA-SUM", "--block-size", "30"], ["--softmax-axis", "T"], ["--Scale", "D"]):
        assert generate_video.run_settings(generate_video.parse_args([*base, *extra])) != settings, extra
    assert (generate_video.run_settings(generate_video.parse_args([*base, "--method", "CA-SUM", "--block-size", "30"]))
            != generate_video.run_settings(generate_video.parse_args([*base, "--method", "CA-SUM"])))
    for dest, extra in {"out": ["--out", tmp_path], "format": ["--format", "mkv"], "quiet": ["--quiet"],
                        "overwrite": ["--overwrite"], "no_extras": ["--no-extras"], "ray": ["--ray"]}.items():
        assert generate_video.run_settings(generate_video.parse_args([*base, *map(str, extra)])) == settings, dest
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000))  # retrained in place
    assert generate_video.run_settings(generate_video.parse_args(base)) != settings


def test_the_segmentation_flag_is_converted_once_and_recorded_as_text(tmp_path, capsys):
    from features.segmentation import Segmentation

    weights = tmp_path / "w.pt"
    weights.write_bytes(b"described, not read")
    assert generate_video.parse_args(["v.mp4"]).segmentation is Segmentation.FAST
    args = generate_video.parse_args(["v.mp4", "--weights", str(weights), "--segmentation", "full"])
    assert args.segmentation is Segmentation.FULL
    assert generate_video.run_settings(args)["segmentation"] == "full"  # the fingerprint and the JSON keep the flag's text
    with pytest.raises(SystemExit):
        generate_video.parse_args(["v.mp4", "--segmentation", "slow"])
    assert "argument --segmentation: invalid choice: 'slow'" in capsys.readouterr().err


def test_every_container_of_the_table_is_a_format(capsys):
    from video.codecs import container_for

    generate_video.build_parser().print_usage()
    assert "--format {mp4,mkv,mov,webm,avi}" in capsys.readouterr().out
    for name in ("mp4", "mkv", "mov", "webm", "avi"):
        assert generate_video.parse_args(["v.mp4", "--format", name]).format == name
        assert container_for(f"summary.{name}").format  # the writer knows each one


def test_the_imagenet_file_is_looked_for_where_torchvision_keeps_it(monkeypatch, tmp_path):
    from models.backbone import imagenet_weights_path

    for home in (None, tmp_path / "torch_home"):
        if home is None:
            monkeypatch.delenv("TORCH_HOME", raising=False)
        else:
            monkeypatch.setenv("TORCH_HOME", str(home))
        assert generate_video.imagenet_cache_file() == imagenet_weights_path()


# --- nothing lost: outputs never replace inputs or each other ------------------------------------

def test_output_folder_that_is_the_input_folder_is_refused_before_any_work(clip, weights, tmp_path, caplog, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    source = folder / "scenes.mp4"
    source.write_bytes(clip[0].read_bytes())
    decoded = []
    monkeypatch.setattr("features.frames.sampled_frames", lambda *a, **k: decoded.append(a) or iter(()))
    monkeypatch.setattr("features.decode_ahead.start_decoding", lambda *a: decoded.append(a))
    for inputs in ([folder], [source]):
        assert run(*inputs, "--weights", weights, "--out", folder, "--random-backbone", "--overwrite") == 2
        assert source.read_bytes() == clip[0].read_bytes() and not decoded
        assert str(folder) in caplog.text
    assert sorted(p.name for p in folder.iterdir()) == ["scenes.mp4"]


def test_same_names_from_two_folders_get_two_summaries(clip, weights, tmp_path, caplog):
    for camera in ("cam1", "cam2"):
        (tmp_path / camera).mkdir()
    (tmp_path / "cam1" / "clip.mp4").write_bytes(clip[0].read_bytes())
    write_demo_video(tmp_path / "cam2" / "clip.mp4", scenes=1, seconds_per_scene=1.0, fps=30.0, size=SIZE, audio=False)
    out = tmp_path / "out"
    with caplog.at_level("INFO"):
        assert run(tmp_path / "cam1", tmp_path / "cam2", "--weights", weights, "--out", out, "--random-backbone",
                   "--overwrite", "--no-video") == 0
    records = {name: json.loads((out / f"{name}.json").read_text()) for name in ("cam1_clip", "cam2_clip")}
    assert records["cam1_clip"]["source"] == str(tmp_path / "cam1" / "clip.mp4") and records["cam1_clip"]["n_frames"] == 240
    assert records["cam2_clip"]["source"] == str(tmp_path / "cam2" / "clip.mp4") and records["cam2_clip"]["n_frames"] == 30
    assert "cam1_clip.*" in caplog.text


# --- interrupted batches: the same command again finishes the work -------------------------------

def _batch(tmp_path, clip, names=("a", "b", "c")):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in names:
        write_demo_video(folder / f"{name}.mp4", scenes=1, seconds_per_scene=1.0, fps=30.0, size=SIZE, audio=False,
                         seed=ord(name[0]))
    return folder


def _leftover_of(path):
    """A file named as ``atomic_output`` names its temporary file for ``path``: what a kill -9 mid-write leaves."""
    from utils.files import atomic_output

    with pytest.raises(RuntimeError), atomic_output(path) as tmp:
        name = tmp.name
        raise RuntimeError("stop before the rename")
    (path.parent / name).write_bytes(b"half a summary")
    return path.parent / name


def _analysed(monkeypatch) -> list[str]:
    import summarize.runner

    seen, real = [], summarize.runner.analyse_video
    monkeypatch.setattr(summarize.runner, "analyse_video", lambda path, *a, **k: seen.append(path.name) or real(path, *a, **k))
    return seen


def test_interrupted_batch_is_finished_by_the_same_command(clip, weights, tmp_path, caplog, monkeypatch):
    import video.writer

    folder, out = _batch(tmp_path, clip), tmp_path / "out"
    argv = [folder, "--weights", weights, "--out", out, "--random-backbone"]
    real_encode, calls = video.writer._encode, []

    def ctrl_c_in_b(stream, frame):  # Ctrl-C while the second video's summary is being encoded
        calls.append(stream.container.name)
        if any(".b.mp4." in name for name in calls) and len(calls) > 3:
            raise KeyboardInterrupt
        return real_encode(stream, frame)

    monkeypatch.setattr(video.writer, "_encode", ctrl_c_in_b)
    with caplog.at_level("INFO"):
        assert run(*argv) == generate_video.EXIT_INTERRUPTED
    lines = [line for line in caplog.text.splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1 and "1 of 3 video(s) finished" in lines[0] and "run the same command again" in lines[0]
    assert "Traceback" not in caplog.text
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "a.mp4", "a.png"]  # nothing half-written
    finished = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    monkeypatch.setattr(video.writer, "_encode", real_encode)
    leftover = _leftover_of(out / "b.mp4")  # as a kill -9 would leave it
    analysed = _analysed(monkeypatch)
    caplog.clear()
    with caplog.at_level("INFO"):
        assert run(*argv) == 0
    assert analysed == ["b.mp4", "c.mp4"]
    assert "1 video(s) already summarised by an earlier run of this command, skipped: a.mp4" in caplog.text
    assert f"removed {leftover}" in caplog.text and not leftover.exists()
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name.startswith("a.")} == finished
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.{e}" for n in "abc" for e in ("json", "mp4", "png")]

    # once more: nothing to do, answered without loading torch
    script = "import sys, generate_video as g; code = g.main(g.parse_args(sys.argv[1:])); assert 'torch' not in sys.modules; sys.exit(code)"
    done = subprocess.run([sys.executable, "-c", script, *map(str, argv), "--quiet", "--device", "cpu"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 video(s) already summarised" in done.stderr


@pytest.mark.parametrize("flag", ["--no-extras", "--no-video"])
def test_a_rerun_recognises_its_outputs_whichever_are_written(clip, weights, tmp_path, monkeypatch, flag):
    folder, out = _batch(tmp_path, clip, names=("a",)), tmp_path / "out"
    argv = [folder, "--weights", weights, "--out", out, "--random-backbone", flag]
    assert run(*argv) == 0
    analysed = _analysed(monkeypatch)
    assert run(*argv) == 0 and analysed == []


def test_outputs_made_from_another_source_or_settings_are_kept_unless_overwrite(clip, weights, tmp_path, caplog, monkeypatch):
    folder, out = _batch(tmp_path, clip, names=("a",)), tmp_path / "out"
    argv = [folder, "--weights", weights, "--out", out, "--random-backbone", "--no-video"]
    assert run(*argv, "--ratio", "0.3") == 0
    earlier = (out / "a.json").read_bytes()
    assert run(*argv) == 1  # another budget: not this command's output
    assert "not made from this video with these settings: " in caplog.text and "already exist; --overwrite replaces them" in caplog.text
    assert (out / "a.json").read_bytes() == earlier
    source = folder / "a.mp4"
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the video was replaced meanwhile
    assert run(*argv, "--ratio", "0.3") == 1 and (out / "a.json").read_bytes() == earlier
    analysed = _analysed(monkeypatch)
    assert run(*argv, "--overwrite") == 0 and analysed == ["a.mp4"]
    assert json.loads((out / "a.json").read_text())["budget_frames"] != json.loads(earlier)["budget_frames"]


# --- one file that cannot be handled does not stop a batch ---------------------------------------

def test_odd_file_names_do_not_stop_a_batch(clip, weights, tmp_path, caplog):
    folder = tmp_path / "in"
    folder.mkdir()
    names = [os.fsdecode(b"clip\xff"), "price $x_$ and 5", "two\nlines", "100% %s", "smile \U0001f600 ü", "zz last"]
    for name in names:
        write_demo_video(folder / f"{name}.mp4", scenes=1, seconds_per_scene=0.6, fps=30.0, size=SIZE, audio=False)
    out = tmp_path / "out"
    argv = [folder, "--weights", weights, "--out", out, "--random-backbone"]
    assert run(*argv) == 0
    for name in names:
        record = json.loads((out / f"{name}.json").read_bytes().decode("utf-8"))
        record["source"].encode("utf-8")  # no lone surrogate reaches the JSON
        assert (out / f"{name}.png").stat().st_size > 1000 and count_frames(out / f"{name}.mp4") == record["summary_frames"]
    caplog.clear()
    with caplog.at_level("INFO"):
        assert run(*argv) == 0
    assert f"{len(names)} video(s) already summarised" in caplog.text


# --- a full disk: which output, and what was kept ------------------------------------------------

@pytest.mark.parametrize("kind", ["mp4", "json", "png"])
def test_full_disk_names_the_output_keeps_what_was_written_and_stops(clip, weights, tmp_path, caplog, monkeypatch, kind):
    folder, out = _batch(tmp_path, clip, names=("a", "b")), tmp_path / "out"
    out.mkdir()
    target = out / f"a.{kind}"
    target.write_bytes(b"an earlier file under that name")
    real_replace = os.replace

    def disk_full_for_target(src, dst):
        if Path(dst) == target:
            raise OSError(errno.ENOSPC, "No space left on device", str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", disk_full_for_target)
    with caplog.at_level("INFO"):
        assert run(folder, "--weights", weights, "--out", out, "--random-backbone", "--overwrite") == 1
    order = ["mp4", "json", "png"]
    kept = [f"{out / 'a'}.{e}" for e in order[:order.index(kind)]]
    assert f"{target} could not be written (No space left on device)" in caplog.text
    assert (f"kept: {', '.join(kept)}" if kept else "no other output of this video was written") in caplog.text
    assert "stopped: the disk is full" in caplog.text and "1 not started" in caplog.text
    assert target.read_bytes() == b"an earlier file under that name"
    assert sorted(p.name for p in out.iterdir()) == sorted([Path(k).name for k in kept] + [target.name])  # no b, no temporaries


# --- a phone video plays upright ------------------------------------------------------------------

def test_portrait_phone_video_keeps_its_orientation(weights, tmp_path):
    from tests.video.helpers import write_rotated_clip
    from video.reader import read_orientation

    source = tmp_path / "phone.mp4"
    write_rotated_clip(source, -90, frames=60, size=(96, 64))
    out = tmp_path / "out"
    assert run(source, "--weights", weights, "--out", out, "--random-backbone") == 0
    assert read_orientation(out / "phone.mp4") == read_orientation(source)
    assert read_orientation(source).quarter_turns == 3
    record = json.loads((out / "phone.json").read_text())
    assert record["display_rotation_degrees"] == 270
    assert run(source, "--weights", weights, "--out", out, "--random-backbone", "--format", "avi", "--no-extras") == 0
    assert (probe(out / "phone.avi").width, probe(out / "phone.avi").height) == (64, 96)  # turned upright: no matrix in AVI


def test_the_weights_are_rebuilt_as_their_record_says(tmp_path, caplog):
    from config import CASumConfig
    from models.ca_sum import CASum
    from models.methods import method_spec

    path = tmp_path / "split1.pt"
    torch.save(method_spec("CA-SUM").build(CASumConfig(block_size=30)).state_dict(), path)
    path.with_suffix(".json").write_text(json.dumps({"method": "CA-SUM", "model_options": CASumConfig(block_size=30).to_options()}))
    args = generate_video.parse_args(["x.mp4", "--weights", str(path), "--random-backbone", "--device", "cpu", "--quiet"])
    summarizer = generate_video._load_summarizer(args, generate_video.run_settings(args))
    assert isinstance(summarizer.model, CASum) and summarizer.model.config.block_size == 30
    # flags that contradict the record, and released weights of another method, are named
    args = generate_video.parse_args(["x.mp4", "--weights", str(path), "--random-backbone", "--method", "PGL-SUM"])
    assert generate_video._load_summarizer(args, {}) is None
    assert "--method PGL-SUM contradicts the record" in caplog.text and "which says the weights are CA-SUM" in caplog.text
    path.with_suffix(".json").unlink()
    args = generate_video.parse_args(["x.mp4", "--weights", str(path), "--random-backbone"])
    assert generate_video._load_summarizer(args, {}) is None
    assert "These are CA-SUM weights" in caplog.text and "--method CA-SUM" in caplog.text
