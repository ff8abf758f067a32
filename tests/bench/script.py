"""A bench/ script loaded as a module, for tests of its pieces (bench/ is not a package: its scripts run as files)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load_bench_script(name: str) -> ModuleType:
    """bench/<name>.py (e.g. ``bench_complexity``), executed as the module ``<name>``."""
    path = BENCH / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such bench script")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
