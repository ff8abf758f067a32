"""bench/: every script runs as its documented command, `python bench/bench_<what>.py`.

Run that way, bench/ comes first on sys.path, so a script named like one of the project's packages,
modules or scripts (bench/kts.py did; bench/generate_video.py and bench/build_dataset.py did, and
edited sys.path to reach the real ones) shadows it. Every script is named ``bench_<what it measures>``,
a prefix nothing in the project uses, and none edits sys.path except to put an official checkout first.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "bench").glob("*.py"))
# an assignment to, or an insertion into, the interpreter's import path
PATH_EDIT = re.compile(r"sys\.path(\[[^\]]*\]\s*=|\.insert\(|\.append\(|\.extend\(|\s*\+?=)")
# the only edits allowed: an official checkout's folders first, this project's off the path
CHECKOUT_FIRST = re.compile(r"sys\.path\[:\] = \[str\((reference|official)\b")


def _project_names() -> set[str]:
    """Everything importable from the repository root: packages, top-level modules and scripts."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    top_level = {path.stem for path in ROOT.glob("*.py")} | {path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()}
    return set(setuptools["packages"]) | set(setuptools["py-modules"]) | top_level


def test_every_bench_script_is_named_bench_what_it_measures():
    names = {path.stem for path in SCRIPTS}
    assert len(names) >= 10
    assert not [name for name in names if not name.startswith("bench_")], "bench/ scripts are named bench_<what it measures>"


def test_no_bench_script_shares_a_name_with_the_project():
    project = _project_names()
    assert {"kts", "config", "train", "generate_video", "build_dataset"} <= project  # every list was read
    shadowing = {path.stem for path in SCRIPTS} & project
    assert not shadowing, f"bench/ scripts shadowing the project's packages, modules or scripts: {sorted(shadowing)}"


def test_sys_path_is_edited_only_to_load_an_official_checkout():
    edits = [f"{path.name}: {line.strip()}" for path in SCRIPTS for line in path.read_text().splitlines() if PATH_EDIT.search(line)]
    assert edits, "the official checkouts' loaders were found"
    assert [edit for edit in edits if not CHECKOUT_FIRST.search(edit)] == []


@pytest.mark.parametrize("name", ["bench_summary_video", "bench_dataset_build"])
def test_former_shadows_import_the_project_as_documented(name):
    """Run as `python bench/<name>.py --help` from the root, they import nothing of their own folder's by mistake."""
    done = subprocess.run([sys.executable, f"bench/{name}.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
