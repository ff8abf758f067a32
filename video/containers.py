"""The containers a summary can be written in: which muxer a suffix means and which codecs it gets by default.

The one table of them: generate_video offers its keys as --format before any heavy import, the
writer and the codec checks (video.codecs) read the rest. Standard library only, so the command line
reads it without loading PyAV.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContainerSpec:
    """How to write one kind of file."""

    format: str  # FFmpeg muxer name; needed because temporary names do not end in the real suffix
    video_codec: str
    audio_codec: str
    variable_frame_rate: bool = True  # can hold frames of differing durations (AVI cannot)
    display_matrix: bool = True  # can hold a display matrix (a phone's "show this turned"); AVI cannot


CONTAINERS: dict[str, ContainerSpec] = {  # suffix -> spec; the order is --format's
    ".mp4": ContainerSpec("mp4", "libx264", "aac"),
    ".mkv": ContainerSpec("matroska", "libx264", "aac"),
    ".mov": ContainerSpec("mov", "libx264", "aac"),
    ".webm": ContainerSpec("webm", "libvpx-vp9", "libopus"),
    ".avi": ContainerSpec("avi", "mpeg4", "mp2", variable_frame_rate=False, display_matrix=False),
}
