"""The demo path end to end: generated clips with planted scenes, the example labels of both formats,
a stand-in ImageNet backbone -> build_dataset.py -> score.py; and the command line before torch."""

import json
import logging
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

import build_dataset
import score
from dataset.custom import read_custom
from tests.conftest import ROOT
from video.synthetic import write_demo_video

EXAMPLES = ROOT / "data" / "examples"
SIZE = (96, 64)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, stand_in_files):
    """The README's demo clips (as data/examples/README.md describes them) and a file that is not a video."""
    folder = tmp_path_factory.mktemp("demo")
    videos = folder / "videos"
    cuts = {
        "clip_a": write_demo_video(videos / "clip_a.mp4", scenes=6, seconds_per_scene=[2, 1, 2, 1, 2, 2], fps=30, size=SIZE, audio=False),
        "clip_b": write_demo_video(videos / "clip_b.mp4", scenes=5, seconds_per_scene=[2, 1, 2, 1, 2], fps=29.97, size=SIZE,
                                   audio=False, seed=3),
    }
    (videos / "broken.mp4").write_bytes(b"this is not a video")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(stand_in_files))
        yield folder, cuts


def build(*argv):
    return build_dataset.main(build_dataset.parse_args([*map(str, argv), "--quiet"]))


@pytest.mark.parametrize("labels, kind", [("labels-scores.tsv", "scores"), ("labels-segments.csv", "segments")])
def test_build_then_score(demo, labels, kind, tmp_path, caplog):
    """The second build relabels the same videos: the features kept beside the first (broken.mp4 failed) are reused."""
    caplog.set_level(logging.INFO)
    folder, cuts = demo
    out = folder / "my.h5"
    with_broken = tmp_path / labels  # the example labels, and some for the file that is not a video
    extra = "broken\tdemo\t1,2,3\n" if kind == "scores" else "broken,ann1,0,1\n"
    with_broken.write_text((EXAMPLES / labels).read_text() + extra)
    assert build(folder / "videos", "--labels", with_broken, "--out", out, "--overwrite") == 1  # broken.mp4 left out
    assert "broken.mp4" in caplog.text and "STAND-IN backbone" in caplog.text
    record = json.loads((folder / "my.build.json").read_text())
    assert record["resumed"] == (0 if kind == "scores" else 2)
    assert record["videos"] == ["clip_a.mp4", "clip_b.mp4"] and list(record["failed"]) == [str(folder / "videos" / "broken.mp4")]
    data = read_custom(out)
    assert data.kind.value == kind and data.backbone_origin == "stand-in"
    with h5py.File(out, "r") as h5:
        for key, stem, n_frames in (("video_1", "clip_a", 300), ("video_2", "clip_b", 240)):
            assert int(h5[key]["n_frames"][()]) == n_frames
            starts = h5[key]["change_points"][()][1:, 0]
            assert set(cuts[stem]) <= set(starts.tolist())  # the planted cuts are shot boundaries
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps({"clip_a": np.linspace(0, 1, 20).tolist()}))
    caplog.clear()
    assert score.main(score.parse_args(["--data", str(out), "--pred", str(pred), "--json", str(tmp_path / "s.json")])) == 0
    figures = json.loads((tmp_path / "s.json").read_text())
    assert figures["labels"] == kind and figures["f1_over_annotators"] == ("mean" if kind == "scores" else "max")
    assert [v["video_name"] for v in figures["videos"]] == ["clip_a.mp4"]
    assert figures["without_predictions"] == [{"key": "video_2", "video_name": "clip_b.mp4"}]
    assert "STAND-IN backbone" in caplog.text


def test_rerun_needs_overwrite_and_resumes(demo, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    folder, _ = demo
    out = tmp_path / "my.h5"
    assert build(folder / "videos" / "clip_b.mp4", "--out", out) == 0
    assert build(folder / "videos" / "clip_b.mp4", "--out", out) == 2
    assert "already exists; --overwrite replaces it" in caplog.text
    with h5py.File(out, "r") as h5:
        assert h5.attrs["labels"] == "none" and "gtscore" not in h5["video_1"]


def test_help_and_argument_errors_answer_before_torch():
    code = ("import sys, build_dataset, score\n"
            "for script in (build_dataset, score):\n"
            "    try:\n        script.parse_args(['--help'])\n    except SystemExit:\n        pass\n"
            "heavy = [m for m in ('torch', 'numpy', 'h5py', 'scipy') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr



def test_a_killed_build_resumes_where_it_stopped(tmp_path):
    videos = tmp_path / "videos"
    for index in range(4):
        write_demo_video(videos / f"v{index}.mp4", scenes=2, seconds_per_scene=1.0, fps=30, size=(64, 64), audio=False, seed=index)
    out = tmp_path / "o.h5"
    command = [sys.executable, "build_dataset.py", str(videos), "--out", str(out), "--random-backbone", "--quiet"]
    child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.DEVNULL)
    parts = tmp_path / "o.h5.parts"
    deadline = time.monotonic() + 120
    while not list(parts.glob("*.h5")) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not out.exists(), "the build finished before it could be killed"
    kept = len(list(parts.glob("*.h5")))
    assert 1 <= kept < 4
    assert build(videos, "--out", out, "--random-backbone") == 0
    record = json.loads((tmp_path / "o.build.json").read_text())
    assert record["resumed"] == kept and record["videos"] == [f"v{i}.mp4" for i in range(4)]
    assert not parts.exists()


def test_a_list_file_of_videos(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("a.mp4\nfolder/b.mkv\n")
    args = build_dataset.parse_args([f"@{listing}", "--out", "o.h5", "--stride", "5", "--preprocess", "resize"])
    assert [str(p) for p in args.inputs] == ["a.mp4", "folder/b.mkv"]
    cfg = build_dataset.config_from(args)
    assert cfg.stride == 5 and cfg.preprocess.value == "resize" and cfg.route.value == "fast"


def test_the_segmentation_flag_is_the_summariser_s_type():
    from features.segmentation import Segmentation

    args = build_dataset.parse_args(["v/", "--out", "o.h5", "--segmentation", "full"])
    assert args.segmentation is Segmentation.FULL and build_dataset.config_from(args).route is Segmentation.FULL


def test_backbone_flags(capsys):
    from config import Backbone

    assert [build_dataset.config_from(build_dataset.parse_args(["v/", "--out", "o.h5", "--backbone", name])).backbone
            for name in build_dataset.BACKBONES] == list(Backbone)
    assert build_dataset.config_from(build_dataset.parse_args(["v/", "--out", "o.h5"])).backbone is Backbone.GOOGLENET
    with pytest.raises(SystemExit):
        build_dataset.parse_args(["v/", "--out", "o.h5", "--backbone", "resnet", "--segmentation", "full"])
    assert "--segmentation full is the reference's route, with GoogLeNet's features: not with --backbone resnet" in capsys.readouterr().err


def test_a_short_clip_of_long_shots_is_refused_with_the_flag_that_keeps_it(tmp_path, caplog):
    """Three 1-second scenes: every shot (about 30 frames) is longer than the budget (13 of 90 frames)."""
    caplog.set_level(logging.INFO)
    write_demo_video(tmp_path / "v" / "clip.mp4", scenes=3, seconds_per_scene=1.0, fps=30, size=(64, 64), audio=False)
    labels = tmp_path / "labels.csv"
    labels.write_text("video,annotator,start,end\nclip,a,0,0.4\nclip,b,1.2,1.6\n")
    argv = [tmp_path / "v", "--labels", labels, "--out", tmp_path / "o.h5", "--random-backbone", "--device", "cpu"]
    assert build(*argv) == 2
    assert "every shot is longer than the 15% summary budget" in caplog.text and "pass --split-long-shots" in caplog.text
    assert build(*argv, "--split-long-shots") == 0
    assert "(--split-long-shots)" in caplog.text
    (video,) = read_custom(tmp_path / "o.h5").videos.values()  # the file the trainer reads takes it
    lengths = video.change_points[:, 1] - video.change_points[:, 0] + 1
    assert lengths.min() <= 13 and lengths.sum() == 90
