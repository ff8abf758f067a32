"""A video's frames as the analysis pass takes them: every frame's thumbnail and time, and the crop
of every ``every``-th frame. Torch-free, so that a helper process can run it (features.decode_ahead).

Pictures are analysed as a player shows them: a phone's display matrix (video.orientation) turns
and mirrors each RGB frame before it is cropped, as OpenCV turns the frames the reference embeds
(CAP_PROP_ORIENTATION_AUTO), and each thumbnail with it. A video without a matrix is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from features.crop import CropGeometry
from video.orientation import UPRIGHT, Orientation, frame_orientation
from video.reader import decode_video, open_video

# Thumbnail used as the cheap full-frame-rate signal for shot boundaries: 12 x 8 x 3 = 288 bytes a frame.
THUMBNAIL_SIZE = (12, 8)
THUMBNAIL_BYTES = THUMBNAIL_SIZE[0] * THUMBNAIL_SIZE[1] * 3
# 8-bit planar YUV: the thumbnail is taken from the decoded planes, without converting the frame to RGB.
_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p", "yuvj440p"}

# One decoded frame: (thumbnail Sized [288] uint8, pixels or None, time in seconds or NaN); the pixels
# are a crop Sized [crop, crop, 3] uint8 (cropped_frames) or the whole RGB frame (sampled_frames).
Frame = tuple[np.ndarray, np.ndarray | None, float]


def _shrink(image: np.ndarray) -> np.ndarray:
    """Area-average ``image`` down to THUMBNAIL_SIZE; large images are first thinned by striding (cheap)."""
    stride = max(1, min(image.shape[0], image.shape[1]) // (8 * THUMBNAIL_SIZE[1]))
    return cv2.resize(np.ascontiguousarray(image[::stride, ::stride]), THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)


def thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """A 12 x 8 picture of the frame, 3 channels (YUV or RGB), flattened. Sized [288], uint8."""
    if frame.format.name in _PLANAR_YUV:
        planes = [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, :p.width] for p in frame.planes[:3]]
        return np.stack([_shrink(plane) for plane in planes], axis=-1).reshape(-1)
    return _shrink(frame.to_ndarray(format="rgb24")).reshape(-1)


def upright_thumbnail(small: np.ndarray, orientation: Orientation) -> np.ndarray:
    """A ``thumbnail`` as the frame is shown (Sized [288]; 8 wide and 12 high after an odd turn).
    The same 288 values in another order: the cut scatter (kts.refine) is the same sum."""
    if orientation.upright_as_stored:
        return small
    rows, columns = THUMBNAIL_SIZE[1], THUMBNAIL_SIZE[0]
    return orientation.upright(small.reshape(rows, columns, 3)).reshape(-1)


def sampled_frames(path: Path, every: int, threads: int = 0) -> Iterator[Frame]:
    """(thumbnail, RGB frame or None, presentation time or NaN) for every decoded frame, as shown
    (the display matrix applied); RGB only for frames 0, every, 2 every, ...
    threads: the decoder's (video.reader.decode_video).

    Raises:
        VideoOpenError, VideoDecodeError: from video.reader.
    """
    orientation = UPRIGHT
    with open_video(path) as container:
        for index, frame in enumerate(decode_video(container, path, threads=threads)):
            if index == 0:
                orientation = frame_orientation(frame)  # FFmpeg puts the stream's matrix on every frame
            rgb = orientation.upright(frame.to_ndarray(format="rgb24")) if index % every == 0 else None
            yield upright_thumbnail(thumbnail(frame), orientation), rgb, np.nan if frame.time is None else frame.time


def cropped_frames(path: Path, every: int, geometry: CropGeometry, threads: int = 0) -> Iterator[Frame]:
    """``sampled_frames`` with each RGB frame replaced by its crop (``geometry``)."""
    for small, rgb, time in sampled_frames(path, every, threads):
        yield small, None if rgb is None else geometry(Image.fromarray(rgb)), time
