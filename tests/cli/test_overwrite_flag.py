"""Every command that writes takes the one --overwrite (cli/options.add_overwrite_argument), which says what it replaces
and what happens without it."""

import pytest

from tests.cli.test_command_parsers import parser_of

WRITERS = ["inference", "score", "ablate", "build_dataset", "generate_video", "cli.extract_features", "cli.baselines"]


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_takes_the_shared_overwrite_flag(name, monkeypatch):
    (action,) = [action for action in parser_of(name, monkeypatch)._actions if "--overwrite" in action.option_strings]
    assert action.default is False and action.nargs == 0
    assert action.help.startswith("replace ") and "once its new version is complete (never an input); without it " in action.help


def test_train_keeps_its_own_rule(monkeypatch):
    """Finished runs are skipped and --restart trains them again: no --overwrite there."""
    options = {flag for action in parser_of("train", monkeypatch)._actions for flag in action.option_strings}
    assert "--restart" in options and "--overwrite" not in options
