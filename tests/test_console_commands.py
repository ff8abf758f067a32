"""The console commands (pyproject.toml [project.scripts]): each names a script's run(), and an installed one answers --help."""

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def test_every_command_script_has_a_console_command():
    targets = {target.split(":")[0] for target in SCRIPTS.values()}
    assert {"train", "inference", "score", "generate_video", "build_dataset", "ablate", "cli.extract_features"} <= targets
    assert all(name.startswith("csta-") for name in SCRIPTS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_each_command_points_at_a_run_function(name):
    module, _, function = SCRIPTS[name].partition(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_an_installed_command_answers_help_from_another_folder(tmp_path):
    command = Path(sys.executable).parent / "csta-train"
    if not command.is_file():
        pytest.skip("the project is not installed in this environment (make setup: pip install -e .)")
    done = subprocess.run([str(command), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: csta-train"), done.stderr


def test_every_package_folder_is_listed_for_installation():
    """A package folder left out of pyproject's list works from the clone but is missing from a wheel install."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in ROOT.rglob("__init__.py")
        if not {"tests", "bench", ".venv", "demo_output"} & set(init.relative_to(ROOT).parts) and not any(part.startswith(".") for part in init.relative_to(ROOT).parts)
    }
    assert folders == listed, f"not listed: {sorted(folders - listed)}; listed, not a package: {sorted(listed - folders)}"
