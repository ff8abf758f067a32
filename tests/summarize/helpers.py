"""A summary record for a clip without running the networks: the outputs' tests need only its shape."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from summarize.outputs import VideoSummaryRecord
from summarize.selection import Selection
from video.orientation import UPRIGHT, Orientation
from video.timing import FrameClock


def make_record(source: Path, n_frames: int, fps: int = 30, *, fingerprint: str = "0" * 40,
                orientation: Orientation = UPRIGHT, summary_video: Path | None = None) -> VideoSummaryRecord:
    """Two shots (halves of the clip); the first half's middle third kept."""
    half = n_frames // 2
    shots = np.array([[0, half - 1], [half, n_frames - 1]])
    keep = np.zeros(n_frames, bool)
    keep[half // 3: 2 * half // 3] = True
    scores = np.linspace(0.2, 0.8, n_frames).astype(np.float32)
    selection = Selection(budget=int(keep.sum()), chosen_shots=[], keep=keep, frame_scores=scores, shot_scores=[0.3, 0.7],
                          fallback={"reason": "test"})
    return VideoSummaryRecord(source=source, fps=float(fps), n_frames=n_frames, shots=shots, shot_scores=[0.3, 0.7],
                              selection=selection, weights=Path("w.pt"), backbone="RANDOM backbone (test)", segmentation="fast",
                              summary_video=summary_video, clock=FrameClock.constant(n_frames, Fraction(fps)),
                              fingerprint=fingerprint, settings={"ratio": 0.15}, orientation=orientation)
