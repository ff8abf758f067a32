"""data/examples/README.md's commands, run as written (smaller frames, no sound, the stand-in GoogLeNet): the clips
they make are the ones the example labels describe, and build_dataset.py keeps every clip with its labels."""

import re
import shlex
from pathlib import Path

import av
import pytest

import build_dataset
from cli import synthetic_video

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
FAST = ["--width", "96", "--height", "64", "--no-audio"]  # what the clips look like does not matter to their lengths


def _commands() -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)```", (EXAMPLES / "README.md").read_text(), re.S).group(1)
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def _frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    made = []
    for command in _commands():
        if command[:3] == ["python", "-m", "cli.synthetic_video"]:
            out = folder / Path(command[3]).relative_to("clips")
            synthetic_video.main(synthetic_video.parse_args([str(out), *command[4:], *FAST]))
            made.append(out)
    return folder, made


def test_the_readme_makes_the_clips_the_labels_describe(clips):
    folder, made = clips
    assert [path.stem for path in made] == ["clip_a", "clip_b"]
    lengths = {}
    for line in (EXAMPLES / "labels-scores.tsv").read_text().splitlines():
        stem, _, scores = line.split("\t")
        lengths.setdefault(stem, set()).add(len(scores.split(",")))
    assert {path.stem: {_frames(path)} for path in made} == lengths == {"clip_a": {300}, "clip_b": {240}}


def test_build_dataset_keeps_both_clips_with_their_labels(clips, tmp_path, stand_in_torch_home):
    """The README's build, as written (its segment labels; the score labels' lengths are checked above)."""
    folder, _ = clips
    command = next(command for command in _commands() if command[:2] == ["python", "build_dataset.py"])
    argv = [str(folder) if arg == "clips/" else arg for arg in command[2:]]
    argv = [str(ROOT / arg) if arg.startswith("data/examples/labels") else arg for arg in argv]
    argv[argv.index("--h5") + 1] = str(tmp_path / "examples.h5")
    args = build_dataset.parse_args([*argv, "--quiet", "--require-labels"])  # the stand-in GoogLeNet, as make demo's
    assert build_dataset.main(args) == 0
