"""Small generated clips shared by the video tests (160x90, a few seconds, so the module stays fast)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from video.synthetic import write_demo_video

FPS = 30.0
SIZE = (160, 90)
SCENE_SECONDS = [0.8, 0.5, 1.0, 0.7]


@dataclass(frozen=True)
class Clip:
    path: Path
    cuts: list[int]
    n_frames: int


def _clip(folder: Path, name: str, audio: bool) -> Clip:
    path = folder / name
    cuts = write_demo_video(path, scenes=len(SCENE_SECONDS), seconds_per_scene=SCENE_SECONDS, fps=FPS, size=SIZE, audio=audio)
    return Clip(path, cuts, round(sum(SCENE_SECONDS) * FPS))


@pytest.fixture(scope="session")
def demo_clip(tmp_path_factory) -> Clip:
    """Four scenes (24, 15, 30, 21 frames) with a tone per scene."""
    return _clip(tmp_path_factory.mktemp("clips"), "demo.mp4", audio=True)


@pytest.fixture(scope="session")
def silent_clip(tmp_path_factory) -> Clip:
    """The same scenes without an audio track."""
    return _clip(tmp_path_factory.mktemp("clips"), "silent.mp4", audio=False)
