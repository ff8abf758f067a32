"""How a video is meant to be shown: the display matrix a phone stores instead of turning its pictures.

A phone held upright records landscape frames and a display matrix saying "turn these a quarter
clockwise". Players apply it; a summary that drops it plays sideways, and an analysis that drops it
shows the network sideways pictures. FFmpeg attaches the matrix to every decoded frame, so it is
read from the first one (PyAV exposes no stream-level side data): ``frame_orientation`` while a
video is decoded anyway, ``video.reader.read_orientation`` before.

The matrix is 9 int32 (FFmpeg's ``AV_FRAME_DATA_DISPLAYMATRIX``), its 2 x 2 part in 16.16 fixed
point. In PyAV's terms (``VideoStream.set_display_rotation``): a rotation counter-clockwise by
``degrees`` followed by an optional mirror. Written with ``set_display_rotation(d)`` the block is
[[cos d, -sin d], [sin d, cos d]]; a mirror negates its first column (a vertical mirror is a
mirror and a half turn).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import av
import numpy as np

_FIXED_ONE = 1 << 16  # 1.0 in the matrix's 16.16 entries


@dataclass(frozen=True)
class Orientation:
    """The source's display matrix (None: shown as stored) and what it does to a picture."""

    matrix: tuple[int, ...] | None  # 9 int32 as stored, copied verbatim into a summary that can hold it
    quarter_turns: int  # counter-clockwise quarter turns, 0-3 (a matrix between quarters is rounded)
    mirrored: bool  # left-right mirror after the turn

    @property
    def upright_as_stored(self) -> bool:
        return self.quarter_turns == 0 and not self.mirrored

    @property
    def swaps_sides(self) -> bool:
        """True when the picture as shown is the stored one's height wide (a portrait phone video)."""
        return self.quarter_turns % 2 == 1

    def upright(self, image: np.ndarray) -> np.ndarray:
        """``image`` (Sized [H, W, C], as decoded) as a player shows it: Sized [W, H, C] after an odd turn.
        A contiguous copy, or ``image`` itself when the video is shown as stored."""
        if self.upright_as_stored:
            return image
        import cv2  # here: the planning imports this module and stays light; cv2 turns a 1080p frame in 3 ms, numpy in 14

        turns = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}
        shown = image if self.quarter_turns == 0 else cv2.rotate(image, turns[self.quarter_turns])
        return cv2.flip(shown, 1) if self.mirrored else shown


UPRIGHT = Orientation(None, 0, False)


def orientation_from_matrix(matrix: tuple[int, ...] | list[int] | None) -> Orientation:
    """What a display matrix does, as quarter turns and a mirror (see the module docstring)."""
    if matrix is None:
        return UPRIGHT
    matrix = tuple(int(v) for v in matrix)
    if len(matrix) != 9:
        raise ValueError(f"a display matrix has 9 entries, got {len(matrix)}")
    a, b, c, d = (v / _FIXED_ONE for v in (matrix[0], matrix[1], matrix[3], matrix[4]))
    mirrored = a * d - b * c < 0
    if mirrored:  # undo the mirror (its first column negated) to leave a pure rotation
        a, c = -a, -c
    degrees = math.degrees(math.atan2(c, a))
    return Orientation(matrix, round(degrees / 90) % 4, mirrored)


def frame_orientation(frame: av.VideoFrame) -> Orientation:
    """The display matrix a decoded frame carries (FFmpeg copies the stream's onto every frame)."""
    try:
        data = bytes(frame.side_data["DISPLAYMATRIX"])
    except KeyError:
        return UPRIGHT
    if len(data) != 36:
        return UPRIGHT
    return orientation_from_matrix(struct.unpack("=9i", data))
