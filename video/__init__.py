"""Video I/O for summaries: read frames with PyAV, write the kept frames and their audio, make demo clips.

``iter_frames`` defines frame indices (the i-th decoded frame); ``write_summary`` takes a keep
mask over those same indices. Every failure to read names the file (``VideoOpenError``,
``VideoDecodeError``). ``write_demo_video`` is imported from ``video.synthetic`` directly: importing it
here would make ``python -m video.synthetic`` load that module twice.
"""

from video.errors import VideoDecodeError, VideoEncodeError, VideoOpenError
from video.reader import VideoInfo, count_frames, iter_frames, probe
from video.writer import SummaryWriteResult, write_summary

__all__ = [
    "SummaryWriteResult",
    "VideoDecodeError",
    "VideoEncodeError",
    "VideoInfo",
    "VideoOpenError",
    "count_frames",
    "iter_frames",
    "probe",
    "write_summary",
]
