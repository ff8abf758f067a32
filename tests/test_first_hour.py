"""A new user's first hour, end to end, as the commands they type: generated clips with segment labels -> build_dataset.py
-> train.py --dataset custom (stopped by Ctrl-C, then the same command again) -> inference.py --save-scores -> score.py
-> generate_video.py with the new weights; then the careless user's mistakes, each refused without touching a file.

Every command is a subprocess started in the user's own folder with the paths they would type (relative ones), and the
test looks only at what they see: exit statuses, the lines printed, the files in their folder. The clips are tiny
(6 clips of 8 s at 10 fps, 64 x 48, one pick a second), training is 2 epochs of one split of CSTA, and the frame CNN is
the stand-in GoogLeNet (tests/conftest.py): the numbers say nothing about CSTA, only that the steps fit together.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_interrupt import _sigint_once
from tests.conftest import ROOT
from utils.exit import EXIT_INTERRUPTED
from video.reader import count_frames
from video.synthetic import write_demo_video

TIMEOUT_S = 600  # generous: the 2-core test machine is shared; each command takes seconds when it is not

BUILD = ("build_dataset.py", "videos/", "--labels", "labels.csv", "--h5", "data/my.h5", "--stride", "10", "--device", "cpu", "--quiet")
TRAIN = ("train.py", "--dataset", "custom", "--h5", "data/my.h5", "--split", "1", "--epochs", "2", "--device", "cpu")
INFERENCE = ("inference.py", "--dataset", "custom", "--h5", "data/my.h5", "--device", "cpu")
SUMMARISE = ("generate_video.py", "--weights", "weights/my/split1.pt", "--out", "summaries/", "--sample-rate", "10", "--device", "cpu",
             "--quiet")


def _run(home: Path, script: str, *args: str) -> tuple[int, str]:
    """``python <script> args`` typed in the user's folder ``home``: (exit status, everything it printed)."""
    done = subprocess.run([sys.executable, str(ROOT / script), *args], cwd=home, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S)
    return done.returncode, done.stdout


def _one_line(output: str) -> str:
    """The single line a refused command printed (failing when it printed more or nothing)."""
    lines = output.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{output}"
    return lines[0]


def _snapshot(home: Path) -> dict[str, str]:
    """Every file under ``home`` -> the sha256 of its bytes."""
    return {str(path.relative_to(home)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(home.rglob("*")) if path.is_file()}


def _clips_and_labels(home: Path) -> None:
    """Six clips with planted scenes (as tests/test_custom_data.py's demo path) and a SumMe-style label CSV for them."""
    rows = ["video,annotator,start,end"]
    for i in range(6):
        write_demo_video(home / "videos" / f"clip_{i}.mp4", scenes=5, seconds_per_scene=[2, 1, 2, 1, 2], fps=10, size=(64, 48),
                         audio=False, seed=i)
        rows += [f"clip_{i},ann1,2.0,3.0", f"clip_{i},ann2,{4 + i % 3}.0,{5 + i % 3}.5"]
    (home / "labels.csv").write_text("\n".join(rows) + "\n")


def test_a_new_users_first_hour(tmp_path, stand_in_torch_home):
    home = tmp_path / "user"
    _clips_and_labels(home)

    # 1. A data set from the clips and their labels.
    status, output = _run(home, *BUILD)
    assert status == 0, output
    assert "wrote data/my.h5: 6 videos" in output and (home / "data" / "my.h5").is_file()

    # 2. Training, stopped by Ctrl-C once its first epoch is kept, then the same command again.
    checkpoint = home / "weights" / "my" / "split1.run" / "checkpoint.pt"  # where docs/scale-out.md says a run keeps its epochs
    weights = home / "weights" / "my" / "split1.pt"
    in_home = ["env", "-C", str(home), sys.executable, str(ROOT / TRAIN[0]), *TRAIN[1:]]  # _sigint_once starts commands in the clone
    status, stderr = _sigint_once(in_home, lambda _: checkpoint.is_file(), tmp_path / "train_stderr.txt")
    assert status == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr, stderr
    said = [line for line in stderr.splitlines() if line.strip()]
    assert [line for line in said if line.startswith("interrupted")] == said[-1:], stderr  # one line, the last one
    assert "run the same command again" in said[-1], said[-1]
    assert checkpoint.is_file() and not weights.exists()

    status, output = _run(home, *TRAIN)
    assert status == 0, output
    assert re.search(r"split1\.run/checkpoint\.pt: resuming after epoch \d of 2", output), output
    assert weights.is_file() and not checkpoint.parent.exists()
    assert len(json.loads(weights.with_suffix(".json").read_text())["history"]) == 2  # the record holds both epochs
    assert "to summarise new videos, use weights/my/split1.pt" in output

    # 3. Evaluate (mean over videos, as score.py gives it), keeping the scores; score them again with score.py.
    status, output = _run(home, *INFERENCE, "--save-scores", "my_scores.h5", "--json", "results.json", "--mean", "videos")
    assert status == 0, output
    inferred = json.loads((home / "results.json").read_text())["my"]
    assert inferred["mean_over"] == "videos" and [split["split"] for split in inferred["splits"]] == [1]
    status, output = _run(home, "score.py", "--h5", "data/my.h5", "--scores", "my_scores.h5", "--json", "my_figures.json")
    assert status == 0, output
    scored = json.loads((home / "my_figures.json").read_text())
    assert scored["overall"]["mean_over"] == "videos"
    tested = inferred["splits"][0]["videos"]
    assert len(tested) >= 1 and [video["key"] for video in scored["videos"]] == [video["key"] for video in tested]
    for metric in ("f1", "kendall", "spearman"):
        assert scored["overall"][metric] == pytest.approx(inferred["mean"][metric], nan_ok=True), metric
        assert [video[metric] for video in scored["videos"]] == pytest.approx([video[metric] for video in tested], nan_ok=True)

    # 4. A summary of a clip with the new weights.
    status, output = _run(home, *SUMMARISE, "videos/clip_0.mp4")
    assert status == 0, output
    made = json.loads((home / "summaries" / "clip_0.json").read_text())
    assert made["weights"] == "weights/my/split1.pt" and (home / "summaries" / "clip_0.png").is_file()
    assert 0 < count_frames(home / "summaries" / "clip_0.mp4") == made["summary_frames"] <= made["budget_frames"]

    # 5. The careless user: each mistake refused with what to do, and not one byte of the folder changed.
    (home / "summaries" / "clip_1.mp4").write_text("my own notes, not a summary\n")  # a file of theirs under an output's name
    before = _snapshot(home)
    refused = [  # (command, exit status, what its message must name)
        (("build_dataset.py", "videos/", "--labels", "labels.csv", "--h5", "labels.csv", "--overwrite"), 2, "is the input labels.csv"),
        (BUILD, 2, "data/my.h5 already exists; --overwrite"),
        ((*INFERENCE, "--save-scores", "data/my.h5", "--overwrite"), 2, "is the input data/my.h5"),
        ((*INFERENCE, "--save-scores", "my_scores.h5"), 2, "my_scores.h5 already exists; --overwrite"),
        (("score.py", "--h5", "data/my.h5", "--scores", "my_scores.h5", "--json", "my_figures.json"), 2,
         "my_figures.json already exists; --overwrite"),
        (("generate_video.py", "videos/", "--weights", "weights/my/split1.pt", "--out", "videos/"), 2, "is also an input folder"),
    ]
    for command, expected, named in refused:
        status, output = _run(home, *command)
        assert status == expected, (command, output)
        line = _one_line(output)
        assert line.startswith("error: ") and named in line, (command, line)
        assert _snapshot(home) == before, f"{command} changed the user's files"

    # The same commands again: finished work is skipped, a file of theirs is refused by name, nothing is rewritten.
    status, output = _run(home, *TRAIN)
    assert status == 0 and "split1.pt: already trained by this command" in output, output
    status, output = _run(home, *SUMMARISE, "videos/clip_0.mp4", "videos/clip_1.mp4")
    assert status == 1, output  # one video could not be done
    assert "already summarised by an earlier run of this command, skipped: clip_0.mp4" in output, output
    assert "summaries/clip_1.mp4 already exists; --overwrite replaces it" in output, output
    assert _snapshot(home) == before
