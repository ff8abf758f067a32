"""Codecs: the container of an output name, checks that its encoders exist and fit, and encoder settings.

The containers are one table (video.containers) so that changing the container or codec of a summary
is a matter of the output name or one argument, never a code edit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from utils.errors import ProjectError
from video.containers import CONTAINERS, ContainerSpec


class CodecError(ProjectError, ValueError):
    """An output type or encoder that cannot be used: an unknown suffix or encoder name, or an
    encoder the container cannot hold. The message names the output file."""


@dataclass(frozen=True)
class VideoEncoderSettings:
    """Encoder options that give a watchable result; FFmpeg's own defaults are poor for some codecs."""

    options: dict[str, str] = field(default_factory=dict)
    bits_per_pixel: float | None = None  # bit rate as a fraction of pixels per second, for bit-rate-only codecs


VIDEO_SETTINGS: dict[str, VideoEncoderSettings] = {
    # libx264's default preset (medium) looks 40 frames ahead: at 1080p that alone held ~200 MB.
    # veryfast (10 frames) measured on a 2-minute 1080p clip: peak 455 -> 253 MB, 22.5 -> 15.6 s, file +4%.
    "libx264": VideoEncoderSettings({"preset": "veryfast"}),
    # FFmpeg's libvpx-vp9 default is a 200 kb/s target at the slowest speed: constant quality and a faster preset instead.
    "libvpx-vp9": VideoEncoderSettings({"crf": "32", "b": "0", "cpu-used": "5", "row-mt": "1"}),
    # mpeg4 has no quality mode in its defaults and 200 kb/s blurs anything larger than a thumbnail.
    "mpeg4": VideoEncoderSettings(bits_per_pixel=0.15),
}


def container_for(path: str | Path) -> ContainerSpec:
    """The container for ``path``'s suffix.

    Raises:
        CodecError: the suffix is not one of ``CONTAINERS``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in CONTAINERS:
        raise CodecError(f"{path}: unsupported output suffix {suffix!r}; use one of {', '.join(CONTAINERS)}")
    return CONTAINERS[suffix]


def _check_encoder(name: str, kind: str, path: Path) -> av.Codec:
    try:
        codec = av.Codec(name, "w")
    except (av.FFmpegError, ValueError) as exc:  # PyAV raises either for an unknown encoder name
        raise CodecError(f"{path}: no {kind} encoder named {name!r} in this FFmpeg build ({exc})") from exc
    if codec.type != kind:
        raise CodecError(f"{path}: {name!r} is a {codec.type} encoder, not a {kind} encoder")
    return codec


def _add_stream(container: av.container.OutputContainer, codec_name: str, path: Path, **kwargs) -> av.stream.Stream:
    try:
        return container.add_stream(codec_name, **kwargs)
    except ValueError as exc:  # PyAV's refusal of a codec the container cannot hold, e.g. mpeg4 in webm
        raise CodecError(f"{path}: {exc}") from exc


def check_encoders(path: str | Path, video_codec: str | None, audio_codec: str | None) -> None:
    """Fail now, not after a video has been decoded, if ``path``'s container cannot be written with
    these encoders (None: the container's default): each must exist, be of its kind, and be one
    the container can hold. Nothing is written.

    Raises:
        CodecError: names ``path`` and the encoder.
    """
    path = Path(path)
    spec = container_for(path)
    codecs = [(video_codec or spec.video_codec, "video"), (audio_codec or spec.audio_codec, "audio")]
    for name, kind in codecs:
        _check_encoder(name, kind, path)
    with av.open(io.BytesIO(), "w", format=spec.format) as container:  # writes nothing until a packet is muxed
        for name, _ in codecs:
            _add_stream(container, name, path)


def add_video_stream(container: av.container.OutputContainer, codec_name: str, rate: Fraction, width: int, height: int,
                     path: Path) -> av.video.stream.VideoStream:
    """Add a video stream with time base 1/rate (so frame k has pts k) and sensible encoder settings."""
    codec = _check_encoder(codec_name, "video", path)
    settings = VIDEO_SETTINGS.get(codec_name, VideoEncoderSettings())
    stream = _add_stream(container, codec_name, path, rate=rate, options=dict(settings.options))
    stream.width, stream.height = width, height
    formats = [f.name for f in codec.video_formats or []]
    stream.pix_fmt = "yuv420p" if not formats or "yuv420p" in formats else formats[0]
    if (width % 2 or height % 2) and stream.pix_fmt == "yuv420p" and "yuv444p" in formats:
        stream.pix_fmt = "yuv444p"  # libx264 cannot halve an odd size; full chroma keeps the source size exactly
    stream.codec_context.time_base = 1 / rate
    stream.time_base = 1 / rate
    if settings.bits_per_pixel is not None:
        stream.bit_rate = int(settings.bits_per_pixel * width * height * float(rate))
    return stream


@dataclass(frozen=True)
class AudioTarget:
    """The sample format, layout and rate an audio encoder takes; the resampler converts to it."""

    format: str
    layout: str
    rate: int


def add_audio_stream(container: av.container.OutputContainer, codec_name: str, rate: int, layout: str,
                     path: Path) -> tuple[av.audio.stream.AudioStream, AudioTarget]:
    """Add an audio stream at ``rate`` if the encoder supports it, else at its nearest supported rate."""
    codec = _check_encoder(codec_name, "audio", path)
    rates = list(codec.audio_rates or [])
    if rates and rate not in rates:
        rate = min(rates, key=lambda r: (abs(r - rate), -r))  # e.g. Opus has no 44.1 kHz: 48 kHz
    formats = [f.name for f in codec.audio_formats or []]
    sample_format = formats[0] if formats else "fltp"
    if layout not in ("mono", "stereo"):
        layout = "stereo"  # downmix anything else: every default encoder takes stereo
    stream = _add_stream(container, codec_name, path, rate=rate)
    stream.layout = layout
    stream.format = sample_format
    stream.codec_context.time_base = Fraction(1, rate)
    stream.time_base = Fraction(1, rate)
    return stream, AudioTarget(sample_format, layout, rate)
