"""Every command's parser comes from cli.options.command_parser: a flag is spelt whole or refused,
never read as the longer flag it begins (``inference.py --weights FILE`` was taken as --weights-dir)."""

import argparse
import importlib

import pytest

from cli.options import command_parser

# Every script and every ``python -m cli.X`` command with a parser.
COMMANDS = ["build_dataset", "generate_video", "train", "inference", "ablate", "score", "cli.baselines", "cli.extract_features",
            "cli.stand_in", "cli.synthetic_data", "cli.synthetic_video", "cli.synthetic_videoxum"]


class _Parser(Exception):  # noqa: N818 - carries the parser out of parse_args, not an error
    """Raised in place of parsing, carrying the parser the command built."""


def parser_of(name: str, monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    """The parser ``name``'s parse_args builds, caught as it starts to parse."""
    module = importlib.import_module(name)

    def caught(self, args=None, namespace=None):  # noqa: ANN001, ANN202
        raise _Parser(self)

    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_known_args", caught)
        with pytest.raises(_Parser) as raised:
            module.parse_args([])
    return raised.value.args[0]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_refuses_abbreviated_flags(name, monkeypatch):
    assert parser_of(name, monkeypatch).allow_abbrev is False, f"{name}: build its parser with cli.options.command_parser"


def test_an_abbreviation_is_an_unrecognized_argument(capsys):
    parser = command_parser("test")
    parser.add_argument("--weights-dir")
    parser.add_argument("--weights-file")
    parser.add_argument("--overwrite", action="store_true")
    assert parser.parse_args(["--weights-dir", "w"]).weights_dir == "w"
    for abbreviation in (["--weights", "w"], ["--overwr"]):
        with pytest.raises(SystemExit) as exit_:
            parser.parse_args(abbreviation)
        assert exit_.value.code == 2 and f"unrecognized arguments: {' '.join(abbreviation)}" in capsys.readouterr().err


def test_build_dataset_reads_a_flag_only_spelt_whole(capsys):
    import build_dataset

    with pytest.raises(SystemExit):
        build_dataset.parse_args(["v/", "--out", "o.h5", "--overwr"])
    assert "unrecognized arguments: --overwr" in capsys.readouterr().err
