"""Cutting kept ranges out of an audio track: exact samples, silence where the source has none, encoder-sized frames."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from video.audio_cut import AudioCutter, kept_runs, sample_runs
from video.codecs import AudioTarget

RATE = 8000
TARGET = AudioTarget("fltp", "mono", RATE)


def _ramp_frames(total: int, chunk: int, start_pts: int = 0):
    """Decoded-like frames whose sample values are their own indices (exact in float32)."""
    for first in range(0, total, chunk):
        values = np.arange(first, min(first + chunk, total), dtype=np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(values, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, start_pts + first, Fraction(1, RATE)
        yield frame


def _cut(runs, frames, frame_size=100, video_start=0.0) -> tuple[np.ndarray, list[int]]:
    cutter = AudioCutter(runs, TARGET, frame_size, video_start)
    out = [f for frame in frames for f in cutter.push(frame)] + list(cutter.finish())
    assert [f.pts for f in out] == list(np.cumsum([0] + [f.samples for f in out[:-1]]))
    return np.concatenate([f.to_ndarray()[0] for f in out]), [f.samples for f in out]


def test_kept_runs():
    assert kept_runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 3), (4, 5), (7, 8)]
    assert kept_runs(np.ones(4, bool)) == [(0, 4)]


def test_sample_runs_round_exact_frame_times():
    assert sample_runs([(1, 3)], Fraction(30), 44100) == [(1470, 4410)]
    assert sample_runs([(1, 2)], Fraction(30000, 1001), 48000) == [(1602, 3203)]  # 1601.6 and 3203.2 rounded


def test_cut_takes_exactly_the_kept_samples_in_encoder_frames():
    runs = [(50, 250), (400, 410), (900, 1000)]
    samples, sizes = _cut(runs, _ramp_frames(1000, 64))
    assert np.array_equal(samples, np.concatenate([np.arange(a, b) for a, b in runs]).astype(np.float32))
    assert sizes[:-1] == [100] * (len(sizes) - 1) and sum(sizes) == 310


def test_missing_audio_becomes_silence():
    runs = [(0, 100), (500, 700)]
    samples, _ = _cut(runs, _ramp_frames(600, 50, start_pts=20), video_start=0.0)  # starts late, ends early
    assert len(samples) == 300
    assert np.all(samples[:20] == 0) and np.array_equal(samples[20:100], np.arange(0, 80, dtype=np.float32))
    assert np.array_equal(samples[100:220], np.arange(480, 600, dtype=np.float32)) and np.all(samples[220:] == 0)


def test_no_audio_at_all_gives_silence_of_the_right_length():
    samples, _ = _cut([(10, 30), (40, 45)], [])
    assert len(samples) == 25 and not samples.any()
