"""Write a video summary: the kept frames of a source video, and their audio, re-encoded in one streaming pass.

Nothing is held but the decoder's and encoders' few frames, so memory does not grow with the
video's length. The file appears under its final name only when complete (``atomic_output``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from tqdm import tqdm

from utils import atomic_output
from utils.memory import PeriodicRelease, release_free_memory
from utils.progress import progress_bar
from video.audio_cut import AudioCutter, kept_runs, sample_runs
from video.codecs import add_audio_stream, add_video_stream, container_for
from video.errors import VideoEncodeError
from video.orientation import Orientation
from video.reader import decode_video, frame_rate, open_video, read_orientation
from video.timing import FrameClock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SummaryWriteResult:
    """What ``write_summary`` wrote."""

    path: Path
    frames_written: int
    video_seconds: float
    audio_seconds: float | None  # None when the source has no audio
    orientation: Orientation  # the source's; kept as its display matrix, or by turning the frames (AVI)


def _encode(stream: av.stream.Stream, frame: av.frame.Frame | None) -> list[av.Packet]:
    """Encode one frame (None flushes). A seam of its own so tests can make encoding fail part-way."""
    return stream.encode(frame)


def _check_keep(keep: np.ndarray, source: Path) -> np.ndarray:
    keep = np.asarray(keep)
    if keep.ndim != 1:
        raise ValueError(f"{source}: keep must be one flag per frame, Sized [n_frames]; got shape {keep.shape}")
    if keep.dtype != bool:
        if keep.size and not np.isin(keep, (0, 1)).all():
            raise ValueError(f"{source}: keep must be boolean (or 0/1); got values other than 0 and 1")
        keep = keep.astype(bool)
    if not keep.any():
        raise ValueError(f"{source}: keep selects no frame; an empty summary cannot be written")
    return keep


def write_summary(source: str | Path, keep: np.ndarray, out_path: str | Path, *,
                  video_codec: str | None = None, audio_codec: str | None = None,
                  progress: bool = True, overwrite: bool = False,
                  clock: FrameClock | None = None, metadata: dict[str, str] | None = None) -> SummaryWriteResult:
    """Encode the kept frames of ``source`` (and the audio under them) into ``out_path``.

    Output frame k is the k-th kept frame, at the source's size. A constant-rate source (or any
    source without ``clock``): output frame k has pts k at the source's frame rate, and the audio
    of each kept frame's range [i/fps, (i+1)/fps) is cut, joined in order and re-encoded, so sound
    stays with its pictures; its duration equals the video's within a frame. A variable-rate
    ``clock`` keeps each frame's own duration and the audio under its real time range (AVI,
    which cannot hold variable durations, is written at the constant rate, with a warning).

    A source that is shown turned (a phone's display matrix) gives a summary shown the same way:
    the matrix is copied, or, in AVI, which cannot hold one, the frames themselves are turned.

    Args:
        source: the video the summary is taken from.
        keep: bool, Sized [n_frames]; one flag per frame as ``iter_frames`` yields them.
        out_path: the summary; its suffix (.mp4 .mkv .mov .webm .avi) picks the container.
        video_codec: overrides the container's default video encoder (e.g. "libx264", "mpeg4").
        audio_codec: overrides the container's default audio encoder (e.g. "aac", "libopus").
        progress: show a "writing <name>" bar over the source frames.
        overwrite: replace an existing ``out_path``.
        clock: each frame's presentation time and duration, e.g.
            ``FrameClock.from_times(reader.frame_times(source), probe(source).frame_rate)``.
        metadata: container tags to write (e.g. {"comment": ...}); keys every container keeps:
            "comment", "title".

    Returns:
        The path, frames written, and video and audio durations in seconds.

    Raises:
        FileExistsError: ``out_path`` exists and ``overwrite`` is False.
        ValueError: empty selection, ``keep`` of the wrong length (names both counts).
        CodecError (a ValueError): unknown suffix or codec, or a codec the container cannot hold.
        VideoOpenError, VideoDecodeError: the source cannot be read.
        VideoEncodeError: FFmpeg failed to encode or write (a full disk among others; the message
            names the output, and nothing is left under its name).
    """
    source, out_path = Path(source), Path(out_path)
    keep = _check_keep(keep, source)
    spec = container_for(out_path)
    if out_path.exists() and not overwrite:
        raise FileExistsError(f"{out_path} exists; pass overwrite=True to replace it")
    if clock is not None and len(clock) != len(keep):
        raise ValueError(f"{source}: a clock of {len(clock)} frames for {len(keep)} keep flags")
    orientation = read_orientation(source)
    with open_video(source) as src:
        bar = progress_bar(total=len(keep), desc=f"writing {out_path.name}", unit="frame", shown=progress, lines=False)
        with bar, atomic_output(out_path) as tmp:
            progress_counts = [0]  # kept frames encoded so far, for the error message
            try:
                with av.open(str(tmp), "w", format=spec.format) as dst:
                    dst.metadata.update(metadata or {})
                    clock = _clock(src, source, keep, clock, spec.variable_frame_rate)
                    written, audio_seconds = _transcode(src, source, keep, clock, dst, out_path, video_codec or spec.video_codec,
                                                        audio_codec or spec.audio_codec, bar, progress_counts,
                                                        orientation, spec.display_matrix)
            except av.FFmpegError as exc:  # encoder or muxer; decoding failures arrive as VideoDecodeError
                raise VideoEncodeError(f"{out_path}: encoding failed after {progress_counts[0]} kept frames, "
                                       f"so it was not written ({exc})") from exc
            if out_path.exists() and not overwrite:  # appeared while we worked: still never clobbered
                raise FileExistsError(f"{out_path} appeared while writing; pass overwrite=True to replace it")
    return SummaryWriteResult(out_path, written, clock.kept_seconds(keep), audio_seconds, orientation)


def _video_start(video_in: av.video.stream.VideoStream) -> float:
    return float(video_in.start_time * video_in.time_base) if video_in.start_time is not None else 0.0


def _clock(src: av.container.InputContainer, source: Path, keep: np.ndarray, clock: FrameClock | None,
           variable_allowed: bool) -> FrameClock:
    """The clock the summary is cut by: a variable-rate ``clock`` as given, else i / fps from the stream's start."""
    video_in = src.streams.video[0]
    rate = frame_rate(video_in)
    constant = FrameClock.constant(len(keep), rate, _video_start(video_in))
    if clock is None or clock.constant_rate:
        return constant
    if not variable_allowed:
        log.warning("%s has a variable frame rate, which this output type cannot hold: written at a constant %.3f fps, "
                    "so sound may drift from the pictures; choose mp4, mkv, mov or webm to keep them together", source, rate)
        return constant
    return clock


def _transcode(src: av.container.InputContainer, source: Path, keep: np.ndarray, clock: FrameClock,
               dst: av.container.OutputContainer, out_path: Path, video_codec: str, audio_codec: str, bar: tqdm,
               counts: list[int], orientation: Orientation, matrix_allowed: bool) -> tuple[int, float | None]:
    """The one demux pass: encode kept video frames and the cut audio into ``dst``; returns (frames, audio seconds).

    ``orientation`` is kept as the output's display matrix when ``matrix_allowed``, else by turning
    every kept frame upright (the output is then the source's height wide after an odd turn).
    """
    video_in = src.streams.video[0]
    audio_in = src.streams.audio[0] if src.streams.audio else None
    rate = frame_rate(video_in)
    width, height = video_in.codec_context.width, video_in.codec_context.height
    turn = None if matrix_allowed or orientation.upright_as_stored else orientation
    if turn is not None and turn.swaps_sides:
        width, height = height, width
    video_out = add_video_stream(dst, video_codec, rate, width, height, out_path)
    if matrix_allowed and orientation.matrix is not None:
        video_out.set_display_matrix(orientation.matrix)  # before the first frame: it goes into the header
    variable = not clock.constant_rate
    if variable:  # the source's own time base holds its frames' times exactly
        video_out.codec_context.time_base = video_out.time_base = video_in.time_base
    cutter = audio_out = None
    if audio_in is not None:
        layout = audio_in.codec_context.layout.name if audio_in.codec_context.layout else "stereo"
        audio_out, target = add_audio_stream(dst, audio_codec, audio_in.codec_context.sample_rate, layout, out_path)
        audio_out.codec_context.open()  # the frame size is known only once open
        video_start = _video_start(video_in)
        runs = kept_runs(keep)
        if variable:
            samples = [(round((clock.starts[a] - video_start) * target.rate), round((clock.end(b - 1) - video_start) * target.rate))
                       for a, b in runs]
        else:
            samples = sample_runs(runs, rate, target.rate)
        cutter = AudioCutter(samples, target, audio_out.codec_context.frame_size or 1024, video_start)
    index = 0
    shown = 0.0  # seconds of summary written so far (variable rate)
    release_free_memory()  # what earlier stages freed, before the encoder takes its own buffers
    release = PeriodicRelease()
    for frame in decode_video(src, source, audio=cutter is not None):
        release.tick()
        if isinstance(frame, av.AudioFrame):
            for piece in cutter.push(frame):
                dst.mux(_encode(audio_out, piece))
            continue
        if index < len(keep) and keep[index]:  # past the end of keep: keep counting for the error below
            if turn is not None:
                frame = av.VideoFrame.from_ndarray(turn.upright(frame.to_ndarray(format="rgb24")), format="rgb24")
            frame = frame.reformat(width=width, height=height, format=video_out.pix_fmt)
            if variable:
                frame.pts, frame.time_base = round(shown / video_in.time_base), video_in.time_base
                shown += float(clock.durations[index])
            else:
                frame.pts, frame.time_base = counts[0], 1 / rate
            frame.pict_type = av.video.frame.PictureType.NONE  # let the encoder choose, not copy the source's
            dst.mux(_encode(video_out, frame))
            counts[0] += 1
        index += 1
        bar.update()
    if index != len(keep):
        raise ValueError(f"{source}: keep has {len(keep)} flags but the video decodes to {index} frames")
    dst.mux(_encode(video_out, None))
    if cutter is None:
        return counts[0], None
    for piece in cutter.finish():
        dst.mux(_encode(audio_out, piece))
    dst.mux(_encode(audio_out, None))
    return counts[0], cutter.samples_out / target.rate
