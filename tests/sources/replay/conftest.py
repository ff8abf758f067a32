"""Tiny SYNTHETIC Mr.HiSum (both releases) and MoSu sets, written once per test session."""

from pathlib import Path

import pytest

from dataset.replay_synthetic import SyntheticReplayConfig
from sources.replay.synthetic import write_synthetic_mosu, write_synthetic_mrhisum

TINY = SyntheticReplayConfig(n_videos=12, dim=16, min_rows=20, median_rows=30, max_rows=45, seed=3)


@pytest.fixture(scope="session")
def replay_sets(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("replay")
    return {"mrhisum": write_synthetic_mrhisum(root / "mrhisum", TINY),
            "mrhisum-triplesumm": write_synthetic_mrhisum(root / "mrhisum_ts", TINY, layout="triplesumm"),
            "mosu": write_synthetic_mosu(root / "mosu", TINY)}
