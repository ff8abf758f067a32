"""The errors raised for videos that cannot be read or written; each names the file so a batch run says which one failed.

They are ProjectErrors (a problem with the user's file, reported in one line) and stay RuntimeErrors
for code that catches those.
"""

from utils.errors import ProjectError


class VideoOpenError(ProjectError, RuntimeError):
    """A file that is missing, a folder, not a video, or without a video stream."""


class VideoDecodeError(ProjectError, RuntimeError):
    """A video that opened but failed part-way; the message names the file and the frame index."""


class VideoEncodeError(ProjectError, RuntimeError):
    """FFmpeg failed to encode or write a summary; the message names the output file and how far it got."""
