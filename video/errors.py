"""The errors raised for videos that cannot be read; both name the file so a batch run says which one failed."""


class VideoOpenError(RuntimeError):
    """A file that is missing, a folder, not a video, or without a video stream."""


class VideoDecodeError(RuntimeError):
    """A video that opened but failed part-way; the message names the file and the frame index."""


class VideoEncodeError(RuntimeError):
    """FFmpeg failed to encode or write a summary; the message names the output file and how far it got."""
