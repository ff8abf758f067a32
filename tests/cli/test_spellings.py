"""One spelling per thing across the commands: what --help and the usage lines show, and the older spellings that keep
working out of sight (score.py's --data/--pred, build_dataset.py's --out, generate_video.py's reference flags)."""

import re
from pathlib import Path

import pytest

import ablate
import build_dataset
import generate_video
import inference
import score
import train
from cli import extract_features

PARSERS = {"train.py": train.build_parser, "inference.py": inference.build_parser, "score.py": score.build_parser,
           "ablate.py": ablate.build_parser, "build_dataset.py": build_dataset.build_parser,
           "generate_video.py": generate_video.build_parser, "cli.extract_features": extract_features.build_parser}


def _flags(parser) -> dict[str, str]:
    """Every flag --help shows, with its help text."""
    return {option: action.help or "" for action in parser._actions if action.help != "==SUPPRESS==" for option in action.option_strings}


@pytest.mark.parametrize("name", PARSERS)
def test_usage_lines_show_kebab_case_flags_only(name):
    usage = PARSERS[name]().format_usage()
    assert not re.findall(r"--\w*_\w*", usage), usage


def test_a_weights_file_is_weights_and_a_weights_folder_weights_dir_everywhere():
    for name, build in PARSERS.items():
        flags = _flags(build())
        if "--weights" in flags:
            assert "weights file" in flags["--weights"], name
        if "--weights-dir" in flags:
            assert "folder" in flags["--weights-dir"], name
        assert not {"--weight", "--weights-file", "--weight_path", "--weights_dir"} & set(flags), name


def test_out_is_a_folder_and_h5_the_built_data_set_file_in_every_command():
    for name, build in PARSERS.items():
        flags = _flags(build())
        if "--out" in flags:
            assert "folder" in flags["--out"], name
        if "--h5" in flags:
            assert "build_dataset.py" in flags["--h5"] or "h5 file to write" in flags["--h5"], name
    assert "--out" not in _flags(build_dataset.build_parser()) and "--h5" in _flags(score.build_parser())


def test_the_older_spellings_still_work(tmp_path):
    assert build_dataset.parse_args(["v.mp4", "--out", "my.h5"]).out == build_dataset.parse_args(["v.mp4", "--h5", "my.h5"]).out
    old = score.parse_args(["--data", "a.h5", "--pred", "p.json"])
    assert (old.data, old.pred) == (Path("a.h5"), Path("p.json"))
    reference = generate_video.parse_args(["--input_is_file", "false", "--dir_path", str(tmp_path), "--save_path", "o",
                                           "--weight_path", "w.pt", "--sample_rate", "5"])
    assert (reference.inputs, reference.out, reference.weights, reference.sample_rate) == ([tmp_path], Path("o"), Path("w.pt"), 5)
    kebab = generate_video.parse_args([str(tmp_path), "--out", "o", "--weights", "w.pt", "--sample-rate", "5"])
    assert (kebab.inputs, kebab.out, kebab.weights, kebab.sample_rate) == ([tmp_path], Path("o"), Path("w.pt"), 5)


@pytest.mark.parametrize("name, hidden", [("generate_video.py", ("--sample_rate", "--input_is_file", "--file_path", "--dir_path",
                                                                 "--save_path", "--weight_path")),
                                          ("score.py", ("--data", "--pred")), ("build_dataset.py", ("--out",))])
def test_older_spellings_are_out_of_the_option_list(name, hidden):
    shown = _flags(PARSERS[name]())
    assert not set(hidden) & set(shown)
