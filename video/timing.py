"""When each frame is shown: constant-rate videos, and variable-rate ones (phones drop to fewer
frames per second in low light, screen recorders repeat nothing when nothing moves).

Counting frames at the nominal rate puts a variable-rate video's frame i at i / fps, which can be
seconds away from when it is really shown; the audio cut under it would then be from elsewhere.
A FrameClock keeps each frame's own presentation time, so the summary's pictures and sound stay
together whatever the rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# A video counts as constant-rate when no frame is further than this share of a frame from i / fps.
CONSTANT_RATE_TOLERANCE = 0.25


@dataclass(frozen=True)
class FrameClock:
    """Start time and duration of every frame, in seconds on the stream's clock (0 is its start)."""

    starts: np.ndarray  # Sized [n_frames], float64, strictly increasing
    durations: np.ndarray  # Sized [n_frames], float64, positive
    constant_rate: bool  # starts[i] == starts[0] + i / rate within CONSTANT_RATE_TOLERANCE frames

    @classmethod
    def constant(cls, n_frames: int, rate: Fraction, start: float = 0.0) -> FrameClock:
        step = 1 / float(rate)
        return cls(start + np.arange(n_frames) * step, np.full(n_frames, step), True)

    @classmethod
    def from_times(cls, times: np.ndarray, rate: Fraction) -> FrameClock:
        """From each decoded frame's presentation time (NaN where the file gave none).

        Frames without a time, or with one not after the previous frame's, get the previous time
        plus one nominal frame; the last frame lasts one nominal frame.
        """
        step = 1 / float(rate)
        times = np.asarray(times, dtype=np.float64)
        starts = np.empty(len(times))
        for index, time in enumerate(times):  # one pass; a few µs per frame
            previous = starts[index - 1] if index else None
            if np.isnan(time):
                time = 0.0 if previous is None else previous + step
            elif previous is not None and time <= previous:
                time = previous + step
            starts[index] = time
        durations = np.diff(starts, append=starts[-1] + step) if len(starts) else np.zeros(0)
        expected = starts[0] + np.arange(len(starts)) * step if len(starts) else starts
        if np.all(np.abs(starts - expected) <= CONSTANT_RATE_TOLERANCE * step):
            return cls.constant(len(starts), rate, float(starts[0]) if len(starts) else 0.0)  # i / fps exactly
        return cls(starts, durations, False)

    def __len__(self) -> int:
        return len(self.starts)

    def end(self, frame: int) -> float:
        """When frame ``frame`` stops being shown."""
        return float(self.starts[frame] + self.durations[frame])

    def seconds_from_first(self, frame: int) -> float:
        return float(self.starts[frame] - self.starts[0])

    @property
    def total_seconds(self) -> float:
        return float(self.durations.sum())

    def kept_seconds(self, keep: np.ndarray) -> float:
        """How long the frames flagged in ``keep`` are shown, together."""
        return float(self.durations[np.asarray(keep, dtype=bool)].sum())
