"""probe, iter_frames and count_frames on generated clips, and their errors on bad inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.video.conftest import FPS, SIZE
from tests.video.helpers import write_solid_clip, write_variable_rate_clip
from video.errors import VideoDecodeError, VideoOpenError
from video.reader import count_frames, frame_times, frames_at, iter_frames, probe
from video.synthetic import write_demo_video


def test_probe_reads_the_header(demo_clip):
    info = probe(demo_clip.path)
    assert info.fps == pytest.approx(FPS)
    assert (info.width, info.height) == SIZE
    assert info.has_audio and info.audio_sample_rate == 44100
    assert info.reported_frames in (None, demo_clip.n_frames)


def test_probe_without_audio(silent_clip):
    info = probe(silent_clip.path)
    assert not info.has_audio and info.audio_sample_rate is None


def test_iter_frames_yields_every_written_frame(demo_clip):
    frames = list(iter_frames(demo_clip.path))
    assert len(frames) == demo_clip.n_frames == count_frames(demo_clip.path)
    assert all(f.shape == (SIZE[1], SIZE[0], 3) and f.dtype == np.uint8 for f in frames)


def test_iter_frames_is_rgb(tmp_path):
    path = tmp_path / "red.mp4"
    write_solid_clip(path, (255, 0, 0), frames=5)
    mean = next(iter(iter_frames(path))).mean(axis=(0, 1))
    assert mean[0] > 230 and mean[1] < 25 and mean[2] < 25


def test_ntsc_rate_is_kept(tmp_path):
    path = tmp_path / "ntsc.mp4"
    write_demo_video(path, scenes=1, seconds_per_scene=0.5, fps=30000 / 1001, size=(64, 48), audio=False)
    assert probe(path).fps == pytest.approx(29.97, abs=1e-3)


def test_video_shorter_than_a_second(tmp_path):
    path = tmp_path / "short.mp4"
    write_demo_video(path, scenes=2, seconds_per_scene=0.1, fps=30, size=(64, 48))
    assert count_frames(path) == 6 == len(list(iter_frames(path)))


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.mp4"
    with pytest.raises(VideoOpenError, match="nowhere.mp4"):
        probe(path)
    with pytest.raises(VideoOpenError, match="nowhere.mp4"):
        next(iter_frames(path))


def test_folder(tmp_path):
    with pytest.raises(VideoOpenError, match="folder"):
        probe(tmp_path)
    with pytest.raises(VideoOpenError, match=tmp_path.name):
        count_frames(tmp_path)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises((VideoOpenError, VideoDecodeError), match="noise.mp4"):
        list(iter_frames(path))


def test_truncated_mp4(tmp_path, demo_clip):
    path = tmp_path / "cut.mp4"
    path.write_bytes(demo_clip.path.read_bytes()[: demo_clip.path.stat().st_size // 2])  # moov atom is at the end
    with pytest.raises((VideoOpenError, VideoDecodeError), match="cut.mp4"):
        list(iter_frames(path))


def test_audio_only_file_has_no_video_stream(tmp_path):
    import av

    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 44100, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(VideoOpenError, match="no video stream"):
        probe(path)


def test_decoder_failure_part_way_names_file_and_frame():
    """FFmpeg rarely fails mid-stream on demand, so a stand-in container fails at its third packet."""
    from types import SimpleNamespace

    import av

    from video.reader import decode_video

    class Packet:
        def __init__(self, index: int):
            self.index = index

        def decode(self):
            if self.index == 2:
                raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")
            return [av.VideoFrame(16, 16, "yuv420p")]

    stream = SimpleNamespace(thread_type=None)
    container = SimpleNamespace(streams=SimpleNamespace(video=[stream], audio=[]),
                                demux=lambda *streams: (Packet(i) for i in range(5)))
    frames = decode_video(container, Path("broken.mp4"))
    assert len([next(frames), next(frames)]) == 2
    with pytest.raises(VideoDecodeError, match="broken.mp4: decoding failed at video frame 2"):
        next(frames)


def test_frames_at_finds_the_frames_shown_at_those_times(demo_clip):
    times = frame_times(demo_clip.path)
    wanted = [0, 17, 44, demo_clip.n_frames - 1]
    found = frames_at(demo_clip.path, [times[i] for i in wanted], 0.5 / FPS)
    frames = list(iter_frames(demo_clip.path))
    for index, frame in zip(wanted, found, strict=True):
        np.testing.assert_array_equal(frame, frames[index])
    assert frames_at(demo_clip.path, [times[-1] + 5.0], 0.5 / FPS) == [None]  # after the end


def test_frames_at_in_a_variable_rate_clip(tmp_path):
    path = tmp_path / "vfr.mp4"
    times = write_variable_rate_clip(path)
    wanted = [10, 59, 65, 79, 85, 130]  # counting at the average rate would land on other frames
    found = frames_at(path, [times[i] for i in wanted], 0.01)
    levels = [(i * 7) % 256 for i in wanted]  # each frame of that clip is one grey level
    assert [abs(frame.mean() - level) < 3 for frame, level in zip(found, levels, strict=True)] == [True] * len(wanted)
