"""Cut the audio of the kept frames out of a decoded track and re-chunk it for an encoder, streaming.

Video frame i covers [i/fps, (i+1)/fps) seconds from the video's start. Kept frames are merged
into runs and each run becomes a range of audio samples; sample boundaries are rounded from the
exact frame times, so the cut audio never drifts from the video by more than a sample per run.
Where the source has no audio for a kept range (a track that starts late or ends early), silence
is inserted so the summary's audio stays the length of its video.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np

from video.codecs import AudioTarget

CUT_FORMAT = "fltp"  # cutting works on planar float arrays, Sized [channels, samples]


def kept_runs(keep: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of kept frames.

    Args:
        keep: bool, Sized [n_frames].

    Returns:
        [start, stop) frame ranges in order.
    """
    padded = np.concatenate(([False], np.asarray(keep, dtype=bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def frame_to_sample(frame: int, fps: Fraction, rate: int) -> int:
    """The first audio sample at or after video frame ``frame``'s start time, rounded to nearest."""
    return round(Fraction(frame) * rate / fps)


def sample_runs(runs: list[tuple[int, int]], fps: Fraction, rate: int) -> list[tuple[int, int]]:
    """The [start, stop) sample ranges of frame runs ``runs`` at ``rate`` Hz."""
    return [(frame_to_sample(a, fps, rate), frame_to_sample(b, fps, rate)) for a, b in runs]


class AudioCutter:
    """Takes decoded source audio in time order and returns encoder-sized frames of the kept ranges only.

    Holds at most one source frame plus less than one encoder frame of samples.
    """

    def __init__(self, runs: list[tuple[int, int]], target: AudioTarget, frame_size: int, video_start: float):
        """
        Args:
            runs: [start, stop) sample ranges to keep, in order, at ``target.rate``.
            target: the encoder's sample format, layout and rate.
            frame_size: samples per encoder frame (AAC 1024, Opus 960, ...).
            video_start: the source video's start time in seconds; audio is placed relative to it.
        """
        self.runs = runs
        self.target = target
        self.frame_size = frame_size
        self.video_start = video_start
        self.channels = len(av.AudioLayout(target.layout).channels)
        self._resampler = av.AudioResampler(format=CUT_FORMAT, layout=target.layout, rate=target.rate)
        self._converter = None if target.format == CUT_FORMAT else av.AudioResampler(
            format=target.format, layout=target.layout, rate=target.rate)
        self._fifo = av.AudioFifo()
        self._run = 0  # first run that may still need samples
        self._position: int | None = None  # source sample index of the next resampled sample
        self._served = 0  # source sample index up to which the runs have been filled (audio or silence)
        self.samples_out = 0

    @property
    def total_samples(self) -> int:
        """Samples the summary's audio has once finished: the sum of the runs' lengths."""
        return sum(b - a for a, b in self.runs)

    def push(self, frame: av.AudioFrame) -> Iterator[av.AudioFrame]:
        """Take one decoded source frame; yield the encoder frames that are complete."""
        if self._position is None:
            start = float(frame.pts * frame.time_base) - self.video_start if frame.pts is not None else 0.0
            self._position = round(start * self.target.rate)
        for chunk in self._resampler.resample(frame):
            self._take(chunk.to_ndarray())
        yield from self._drain(final=False)

    def finish(self) -> Iterator[av.AudioFrame]:
        """Flush the resampler, fill any kept range the source did not cover with silence, yield the rest."""
        if self._position is not None:
            for chunk in self._resampler.resample(None):
                self._take(chunk.to_ndarray())
        end = self.runs[-1][1] if self.runs else 0
        if self._served < end:
            self._write_kept(np.zeros((self.channels, end - self._served), np.float32), self._served)
            self._served = end
        yield from self._drain(final=True)

    def _take(self, samples: np.ndarray) -> None:
        start, stop = self._position, self._position + samples.shape[1]
        self._position = stop
        if start > self._served:  # a gap before this chunk: silence keeps later audio in place
            self._write_kept(np.zeros((self.channels, start - self._served), np.float32), self._served)
            self._served = start
        if stop > self._served:
            self._write_kept(samples[:, self._served - start:], self._served)
            self._served = stop

    def _write_kept(self, samples: np.ndarray, start: int) -> None:
        """Write the parts of ``samples`` (source positions ``start`` onwards) that lie inside runs."""
        stop = start + samples.shape[1]
        while self._run < len(self.runs) and self.runs[self._run][1] <= start:
            self._run += 1
        for a, b in self.runs[self._run:]:
            if a >= stop:
                break
            lo, hi = max(a, start), min(b, stop)
            piece = np.ascontiguousarray(samples[:, lo - start:hi - start], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(piece, format=CUT_FORMAT, layout=self.target.layout)
            frame.sample_rate = self.target.rate
            self._fifo.write(frame)

    def _drain(self, final: bool) -> Iterator[av.AudioFrame]:
        while self._fifo.samples >= self.frame_size or (final and self._fifo.samples > 0):
            frame = self._fifo.read(min(self.frame_size, self._fifo.samples))
            if self._converter is not None:
                converted = self._converter.resample(frame)
                frame = converted[0] if len(converted) == 1 else _join(converted, self.target)
            frame.pts = self.samples_out
            frame.time_base = Fraction(1, self.target.rate)
            frame.sample_rate = self.target.rate
            self.samples_out += frame.samples
            yield frame


def _join(frames: list[av.AudioFrame], target: AudioTarget) -> av.AudioFrame:
    """One frame from the converter's pieces (it may split or delay a frame; the sample count is unchanged)."""
    fifo = av.AudioFifo()
    for frame in frames:
        frame.pts = None
        fifo.write(frame)
    return fifo.read(0)
