"""Display matrices: read from a file, understood as turns and mirrors, and kept by every summary."""

from __future__ import annotations

import numpy as np
import pytest

from tests.video.helpers import write_rotated_clip
from video.containers import CONTAINERS
from video.orientation import UPRIGHT, orientation_from_matrix
from video.reader import iter_frames, read_orientation
from video.writer import write_summary

# Every orientation a display matrix of quarter turns can express, as PyAV writes them.
ORIENTATIONS = [(degrees, hflip, vflip) for degrees in (0, 90, 180, -90) for hflip, vflip in ((False, False), (True, False), (False, True))]


def _as_pyav_documents(image: np.ndarray, degrees: int, hflip: bool, vflip: bool) -> np.ndarray:
    """PyAV's set_display_rotation: turn counter-clockwise by ``degrees``, then mirror."""
    shown = np.rot90(image, degrees // 90)
    if hflip:
        shown = shown[:, ::-1]
    if vflip:
        shown = shown[::-1]
    return shown


@pytest.mark.parametrize(("degrees", "hflip", "vflip"), ORIENTATIONS)
def test_every_orientation_is_read_and_applied(tmp_path, degrees, hflip, vflip):
    path = tmp_path / "turned.mp4"
    image = write_rotated_clip(path, degrees, hflip=hflip, vflip=vflip, frames=2)
    orientation = read_orientation(path)
    decoded = next(iter_frames(path, upright=False))
    expected = _as_pyav_documents(decoded, degrees, hflip, vflip)
    assert np.abs(decoded.astype(int) - image).mean() < 8  # stored as drawn: only the matrix says how to show it
    assert np.array_equal(orientation.upright(decoded), expected)
    assert np.array_equal(next(iter_frames(path)), expected)  # read as shown unless asked otherwise


def test_a_portrait_phone_clip_is_read_portrait(tmp_path):
    path = tmp_path / "phone.mp4"
    write_rotated_clip(path, 90, frames=2, size=(320, 240))
    assert next(iter_frames(path)).shape == (320, 240, 3)  # as players and OpenCV show it
    assert next(iter_frames(path, upright=False)).shape == (240, 320, 3)


def test_a_video_without_a_matrix_is_upright(demo_clip):
    assert read_orientation(demo_clip.path) == UPRIGHT
    assert orientation_from_matrix(None) == UPRIGHT


def test_phone_portrait_matrix():
    # what an upright phone stores: turn a quarter clockwise (PyAV's -90)
    quarter_clockwise = (0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)
    orientation = orientation_from_matrix(quarter_clockwise)
    assert (orientation.quarter_turns, orientation.mirrored, orientation.swaps_sides) == (3, False, True)
    assert orientation.upright(np.zeros((48, 64, 3), np.uint8)).shape == (64, 48, 3)


@pytest.mark.parametrize("suffix", list(CONTAINERS))
def test_summary_keeps_the_source_orientation(tmp_path, suffix):
    source = tmp_path / "phone.mp4"
    write_rotated_clip(source, -90, frames=12)
    out = tmp_path / f"summary{suffix}"
    keep = np.zeros(12, bool)
    keep[3:9] = True
    result = write_summary(source, keep, out, progress=False)
    wanted = read_orientation(source)
    assert result.orientation == wanted and wanted.quarter_turns == 3
    first_kept = list(iter_frames(source, upright=False))[3]
    written = next(iter_frames(out, upright=False))
    if CONTAINERS[suffix].display_matrix:  # the matrix is copied; the pictures stay as stored
        assert read_orientation(out).matrix == wanted.matrix
        assert written.shape == first_kept.shape
        shown = read_orientation(out).upright(written)
    else:  # AVI holds no matrix: the pictures themselves are turned
        assert read_orientation(out) == UPRIGHT
        shown = written
    assert shown.shape == wanted.upright(first_kept).shape == (64, 48, 3)
    assert np.abs(shown.astype(int) - wanted.upright(first_kept).astype(int)).mean() < 10
    assert np.array_equal(next(iter_frames(out)), shown)  # either way, the summary reads upright


def test_a_matrix_must_have_nine_entries():
    with pytest.raises(ValueError, match="9 entries"):
        orientation_from_matrix([1, 2, 3])
