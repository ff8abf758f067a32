"""features/decode_ahead.py: a helper process's frames are the in-process ones, in order; the
video's own errors come through; a stopped or dead helper is seen; memory is given back."""

import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from features import decode_ahead
from features.crop import GOOGLENET_CROP
from features.decode_ahead import DecodeAhead, DecodeAheadError, start_decoding
from features.frames import cropped_frames
from tests.no_processes import refusing_contexts
from video.errors import VideoOpenError
from video.synthetic import write_demo_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    write_demo_video(path, scenes=3, seconds_per_scene=0.5, fps=30, size=(160, 96), audio=False)  # 45 frames
    return path


def same_frames(got, expected) -> bool:
    if len(got) != len(expected):
        return False
    for (thumb, pixels, at), (thumb2, pixels2, at2) in zip(got, expected, strict=True):
        if not np.array_equal(thumb, thumb2) or (pixels is None) != (pixels2 is None):
            return False
        if pixels is not None and not np.array_equal(pixels, pixels2):
            return False
        if not (at == at2 or (np.isnan(at) and np.isnan(at2))):
            return False
    return True


@pytest.mark.parametrize("every", [1, 4])
def test_the_helpers_frames_are_the_in_process_ones_through_a_small_ring(clip, every):
    with DecodeAhead(clip, every, GOOGLENET_CROP, crop_slots=3, frame_slots=5) as ahead:
        frames = list(ahead)
    assert same_frames(frames, list(cropped_frames(clip, every, GOOGLENET_CROP)))
    assert sum(pixels is not None for _, pixels, _ in frames) == -(-len(frames) // every)


def test_the_videos_own_error_comes_through(tmp_path):
    with DecodeAhead(tmp_path / "missing.mp4", 1, GOOGLENET_CROP) as ahead, pytest.raises(VideoOpenError, match="missing.mp4"):
        list(ahead)


def test_closing_early_stops_the_helper_and_frees_the_memory(clip):
    ahead = DecodeAhead(clip, 1, GOOGLENET_CROP, crop_slots=2, frame_slots=4)
    memory_name = ahead._memory.name
    frames = iter(ahead)
    next(frames)  # the helper is now waiting for slots
    ahead.close()
    ahead.close()  # twice is fine
    assert not ahead.helper_running
    assert not os.path.exists(f"/dev/shm/{memory_name}")


def test_a_helper_killed_part_way_is_an_error_naming_the_video(clip):
    with DecodeAhead(clip, 1, GOOGLENET_CROP, crop_slots=2, frame_slots=4) as ahead:
        frames = iter(ahead)
        next(frames)
        helper = next(p for p in multiprocessing.active_children() if p.name == f"decode {clip.name}")
        os.kill(helper.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while helper.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(DecodeAheadError, match=r"clip.mp4: the process decoding it stopped before the end \(exit code -9\)"):
            list(frames)


def test_without_room_in_shared_memory_the_video_is_decoded_in_process(clip, monkeypatch, caplog):
    monkeypatch.setattr(decode_ahead, "shared_memory_room", lambda: 8_000_000)  # a small container's /dev/shm
    with caplog.at_level(logging.INFO, logger="features.decode_ahead"):
        assert start_decoding(clip, 1, GOOGLENET_CROP) is None
    assert "shared memory" in caplog.text and "8 MB free" in caplog.text


def test_the_ring_is_sized_to_the_room_there_is(clip, monkeypatch):
    monkeypatch.setattr(decode_ahead, "shared_memory_room", lambda: 40_000_000)
    with start_decoding(clip, 1, GOOGLENET_CROP) as ahead:  # half of 40 MB, less the thumbnails' part, in 150 kB crops
        assert 16 <= ahead._crop_slots < 130
        assert same_frames(list(ahead), list(cropped_frames(clip, 1, GOOGLENET_CROP)))


def test_a_helper_that_cannot_start_leaves_nothing_behind(clip, monkeypatch, caplog):
    no_processes, pipe_ends = refusing_contexts()
    monkeypatch.setattr(decode_ahead.multiprocessing, "get_context", no_processes)
    def segments() -> set[str]:  # shared memory segments; semaphores ("sem.*") go with their objects
        return {name for name in os.listdir("/dev/shm") if not name.startswith("sem.")}

    before = segments()
    with caplog.at_level(logging.INFO, logger="features.decode_ahead"):
        assert start_decoding(clip, 1, GOOGLENET_CROP) is None
    assert "no helper process" in caplog.text and "Resource temporarily unavailable" in caplog.text
    assert segments() <= before  # the ring made for it is gone
    assert pipe_ends and all(end.closed for end in pipe_ends)
