"""bench/: every script runs as its documented command, `python bench/<name>.py`.

Run that way, bench/ comes first on sys.path, so a script named like one of the project's own
packages or imported modules (bench/kts.py did) shadows it, and its own imports of the project
fail. The top-level scripts (train, inference, generate_video, ...) are entry points the library
never imports, so bench/generate_video.py may share that name.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_bench_script_shares_a_name_with_a_project_package_or_module():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    project = set(setuptools["packages"]) | {"config"}  # config: the one top-level module the library imports
    scripts = {path.stem for path in (ROOT / "bench").glob("*.py")}
    assert len(scripts) >= 10 and "kts" in project and "config" in setuptools["py-modules"]  # both lists were read
    assert not scripts & project, f"bench/ scripts shadowing the project's own imports: {sorted(scripts & project)}"
