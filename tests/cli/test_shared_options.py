"""The options several scripts take are declared once (cli/options.py, cli/ray_options.py), so a script
cannot drift from the others in a flag's spelling, type or help."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"--device", "--seed", "--seeds", "--out", "--ray", "--ray-address", "--cpus-per-run", "--gpus-per-run", "--ray-workers",
          "--resume", "--restart"}
HOMES = {ROOT / "cli" / "options.py", ROOT / "cli" / "ray_options.py"}
# The scripts that run a network on a device, by module, with the call that builds their parser.
DEVICE_TAKERS = ["train", "inference", "ablate", "generate_video", "build_dataset", "cli.extract_features"]


def command_line_files() -> list[Path]:
    """The command-line room: the top-level scripts and cli/."""
    return sorted([*ROOT.glob("*.py"), *(ROOT / "cli").glob("*.py")])


def declared_flags(path: Path) -> set[str]:
    """The option strings of every ``add_argument`` call in ``path`` written as literals."""
    flags = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
            flags.update(arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return flags


def test_each_shared_option_is_declared_only_in_the_shared_modules():
    elsewhere = sorted(f"{path.relative_to(ROOT)}: {flag}" for path in command_line_files() if path not in HOMES
                       for flag in declared_flags(path) & SHARED)
    assert not elsewhere, "declare these with cli/options.py or cli/ray_options.py:\n" + "\n".join(elsewhere)


def test_the_shared_modules_declare_every_shared_option():
    assert set().union(*(declared_flags(path) for path in HOMES)) >= SHARED


def _device_action(module_name: str):
    parser = importlib.import_module(module_name).build_parser()
    return next(action for action in parser._actions if "--device" in action.option_strings)


@pytest.mark.parametrize("module_name", DEVICE_TAKERS[1:])
def test_every_script_offers_the_same_device_flag(module_name):
    first, this = _device_action(DEVICE_TAKERS[0]), _device_action(module_name)
    assert (this.option_strings, this.dest, this.default, this.type, this.help) == (
        first.option_strings, first.dest, first.default, first.type, first.help)
