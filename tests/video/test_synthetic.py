"""The demo clip: its cuts are where it says, and the command line writes one."""

from __future__ import annotations

import numpy as np
import pytest

from tests.video.helpers import decoded_audio, dominant_pitch, frame_means
from video.reader import probe
from video.synthetic import scene_boundaries, write_demo_video


def test_cuts_are_returned_and_are_the_only_jumps(demo_clip):
    assert demo_clip.cuts == [24, 39, 69]
    jumps = np.abs(np.diff(frame_means(demo_clip.path), axis=0)).sum(axis=1)
    assert sorted(np.flatnonzero(jumps > 30) + 1) == demo_clip.cuts
    assert jumps[[c - 1 for c in demo_clip.cuts]].min() > 5 * np.delete(jumps, [c - 1 for c in demo_clip.cuts]).max()


def test_tone_changes_at_the_cuts(demo_clip):
    samples, rate = decoded_audio(demo_clip.path)
    bounds = [0, *demo_clip.cuts, demo_clip.n_frames]
    pitches = [dominant_pitch(samples[round(a / 30 * rate) + 500: round(b / 30 * rate) - 500], rate) for a, b in zip(bounds, bounds[1:], strict=False)]
    assert all(abs(p - q) > 20 for p, q in zip(pitches, pitches[1:], strict=False))


def test_boundaries_do_not_drift():
    assert scene_boundaries(3, 1 / 3, 30) == [0, 10, 20, 30]
    assert scene_boundaries(2, [0.5, 1.5], 29.97)[-1] == round(2 * 29.97)
    with pytest.raises(ValueError, match="one duration per scene"):
        scene_boundaries(3, [1.0, 2.0], 30)
    with pytest.raises(ValueError, match="at least one frame"):
        scene_boundaries(2, 0.01, 30)


def test_webm_and_odd_size(tmp_path):
    assert write_demo_video(tmp_path / "d.webm", scenes=2, seconds_per_scene=0.3, size=(64, 48)) == [9]
    assert probe(tmp_path / "d.webm").audio_sample_rate == 48000  # Opus has no 44.1 kHz
    with pytest.raises(ValueError, match="even"):
        write_demo_video(tmp_path / "odd.mp4", size=(65, 48))
