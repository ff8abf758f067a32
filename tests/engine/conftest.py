"""Fixtures of the engine's tests: a mini benchmark on which train.py runs an epoch in seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from config import DATASETS
from dataset.synthetic import SUMME_LIKE, write_synthetic_benchmark

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 2  # a kill after epoch 1 still leaves an epoch to resume
# Short videos: an epoch of one video is one optimiser step of the GoogLeNet trunk (seconds on a loaded CPU).
MINI = {"n_videos": 3, "n_users": 3, "min_steps": 16, "max_steps": 24, "min_shot_frames": 20, "max_shot_frames": 60}


@pytest.fixture(scope="session")
def mini(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A 3-video SumMe-like file, a split training on one video and a split training on two (each tests on video_1)."""
    folder = tmp_path_factory.mktemp("mini")
    write_synthetic_benchmark(DATASETS["SumMe"], folder, replace(SUMME_LIKE, **MINI))
    paths = []
    for train in (["video_2"], ["video_2", "video_3"]):
        path = folder / f"SumMe_{len(train)}.json"
        path.write_text(json.dumps({"format": "csta-splits/1", "dataset": "SumMe", "splits": [{"train": train, "test": ["video_1"]}]}))
        paths.append(path)
    return folder, paths[0], paths[1]


def train_command(mini: tuple[Path, Path, Path], weights_dir: Path, *extra: str, videos: int = 1, epochs: int = EPOCHS) -> list[str]:
    """train.py's arguments for a CPU run of the mini split with ``videos`` training videos (1 or 2)."""
    data, one, two = mini
    return [sys.executable, str(ROOT / "train.py"), "--dataset", "SumMe", "--epochs", str(epochs), "--device", "cpu",
            "--random-init", "--seed", "5", "--data-dir", str(data), "--splits-file", str(one if videos == 1 else two),
            "--weights-dir", str(weights_dir), *extra]


def kill_after_checkpoint(command: list[str], checkpoint: Path, poll: float = 0.02) -> int:
    """Start ``command`` (its output discarded) and kill -9 it once ``checkpoint`` exists; returns its exit status
    (-SIGKILL when it was killed, anything else when it ended first)."""
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(poll)
        process.send_signal(signal.SIGKILL)  # after epoch 1's checkpoint, perhaps while epoch 2's is written
    finally:
        process.wait()
    return process.returncode
