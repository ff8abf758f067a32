"""Reading videos with PyAV: probing, streaming RGB frames, counting frames.

Frame i is always the i-th frame the decoder returns (presentation order), never a container's
frame count or timestamp arithmetic: containers misreport counts, and the summary's keep mask is
indexed the same way by every function here and in ``video.writer``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from video.errors import VideoDecodeError, VideoOpenError
from video.orientation import UPRIGHT, Orientation, frame_orientation


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself."""

    path: Path
    fps: float  # average frame rate of the video stream, e.g. 29.97
    width: int
    height: int
    reported_frames: int | None  # the container's claim (may be wrong or 0); never used for indexing
    has_audio: bool
    audio_sample_rate: int | None
    frame_rate: Fraction  # ``fps`` exactly (30000/1001, not 29.97)


@contextlib.contextmanager
def open_video(path: str | Path) -> Iterator[av.container.InputContainer]:
    """Open ``path`` for reading, with one video stream that has a usable frame rate.

    Raises:
        VideoOpenError: missing file, a folder, not a media file, no video stream, or no frame rate.
    """
    path = Path(path)
    if not path.exists():
        raise VideoOpenError(f"{path}: no such file")
    if path.is_dir():
        raise VideoOpenError(f"{path}: is a folder, not a video file")
    try:
        container = av.open(str(path), "r")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:  # FFmpeg's reasons arrive as either
        raise VideoOpenError(f"{path}: cannot open as a video ({exc})") from exc
    with container:
        if not container.streams.video:
            raise VideoOpenError(f"{path}: has no video stream")
        if frame_rate(container.streams.video[0]) is None:
            raise VideoOpenError(f"{path}: the video stream has no frame rate")
        yield container


def frame_rate(stream: av.video.stream.VideoStream) -> Fraction | None:
    """The stream's average frame rate as an exact fraction (30000/1001, not 29.97), or None if unknown."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0:
            return Fraction(rate)
    return None


def probe(path: str | Path) -> VideoInfo:
    """Read the header of ``path`` without decoding.

    Raises:
        VideoOpenError: see ``open_video``.
    """
    with open_video(path) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        return VideoInfo(
            path=Path(path),
            fps=float(frame_rate(video)),
            width=video.codec_context.width,
            height=video.codec_context.height,
            reported_frames=video.frames or None,
            has_audio=audio is not None,
            audio_sample_rate=audio.codec_context.sample_rate if audio is not None else None,
            frame_rate=frame_rate(video),
        )


def decode_video(container: av.container.InputContainer, path: Path, *, audio: bool = False, threads: int = 0) -> Iterator[av.frame.Frame]:
    """Decode the first video stream (and, if asked, the first audio stream, interleaved) as PyAV frames.

    Streaming: at most the decoder's few reference frames are alive at once.
    threads: the decoder's threads; 0 lets FFmpeg choose (about one per core).

    Raises:
        VideoDecodeError: FFmpeg failed part-way; names ``path`` and the next video frame's index.
    """
    streams = [container.streams.video[0]]
    if audio and container.streams.audio:
        streams.append(container.streams.audio[0])
    for stream in streams:
        stream.thread_type = "AUTO"  # frame and slice threads; order of output is unchanged
        stream.thread_count = threads
    index = 0
    packets = container.demux(*streams)
    while True:
        try:
            packet = next(packets)
            frames = packet.decode()
        except StopIteration:
            return
        except (av.FFmpegError, OSError, ValueError) as exc:  # demuxer and decoder failures alike
            raise VideoDecodeError(f"{path}: decoding failed at video frame {index} ({exc})") from exc
        for frame in frames:
            if isinstance(frame, av.VideoFrame):
                index += 1
            yield frame


def iter_frames(path: str | Path, *, upright: bool = True) -> Iterator[np.ndarray]:
    """Every decoded video frame of ``path``, in presentation order, as RGB.

    upright: as a player shows them, turned and mirrored as the stream's display matrix says (a
        phone's portrait video comes out portrait, as OpenCV reads it); False: as stored, the
        pictures a summary re-encodes under the same matrix.

    Yields:
        Sized [H, W, 3] uint8 arrays (H and W as shown, or as stored).

    Raises:
        VideoOpenError: the file cannot be opened as a video.
        VideoDecodeError: decoding fails part-way (the message names the frame index).
    """
    path = Path(path)
    orientation = UPRIGHT
    with open_video(path) as container:
        for index, frame in enumerate(decode_video(container, path)):
            if index == 0 and upright:
                orientation = frame_orientation(frame)
            try:
                rgb = frame.to_ndarray(format="rgb24")
            except (av.FFmpegError, ValueError) as exc:  # e.g. a pixel format swscale cannot convert
                raise VideoDecodeError(f"{path}: cannot convert video frame {index} to RGB ({exc})") from exc
            yield orientation.upright(rgb)


def frame_times(path: str | Path) -> np.ndarray:
    """Each decoded video frame's presentation time in seconds on the stream's clock (NaN where the
    file gives none), by decoding. Sized [n_frames], float64. See video.timing for why it matters.

    Raises:
        VideoOpenError, VideoDecodeError: as ``iter_frames``.
    """
    path = Path(path)
    with open_video(path) as container:
        return np.array([np.nan if frame.time is None else frame.time for frame in decode_video(container, path)], dtype=np.float64)


def frames_at(path: str | Path, times: list[float], tolerance: float) -> list[np.ndarray | None]:
    """RGB frames shown at ``times`` (seconds on the stream's clock, as ``frame_times`` gives), by
    seeking to the keyframe before each and decoding forward: the first frame within ``tolerance``
    seconds after the time (a frame's start time, e.g. from ``video.timing.FrameClock``), else None.
    As stored: turn them with the source's ``video.orientation.Orientation.upright``.

    Raises:
        VideoOpenError: see ``open_video``.
    """
    path = Path(path)
    found: list[np.ndarray | None] = []
    with open_video(path) as container:
        stream = container.streams.video[0]
        for wanted in times:
            frame_found = None
            try:
                container.seek(max(0, int((wanted - tolerance) / stream.time_base)), stream=stream, backward=True)
                for frame in container.decode(stream):
                    if frame.time is None or frame.time < wanted - tolerance:
                        continue
                    if frame.time <= wanted + tolerance:
                        frame_found = frame.to_ndarray(format="rgb24")
                    break
            except (av.FFmpegError, OSError, ValueError):  # a frame for a picture is not worth failing over
                frame_found = None
            found.append(frame_found)
    return found


def count_frames(path: str | Path) -> int:
    """The number of frames ``iter_frames`` yields, by decoding (packets can be discarded by edit lists).

    Raises:
        VideoOpenError, VideoDecodeError: as ``iter_frames``.
    """
    path = Path(path)
    with open_video(path) as container:
        return sum(1 for _ in decode_video(container, path))


def read_orientation(path: str | Path) -> Orientation:
    """The display matrix of ``path``'s first video stream, from its first decoded frame.

    A file that opens but whose first frame cannot be decoded counts as upright: the caller's own
    decoding reports that file's problem with the frame index.

    Raises:
        VideoOpenError: see ``video.reader.open_video``.
    """
    with open_video(path) as container:
        try:
            frame = next(container.decode(container.streams.video[0]), None)
        except (av.FFmpegError, OSError, ValueError):
            return UPRIGHT
        return UPRIGHT if frame is None else frame_orientation(frame)
