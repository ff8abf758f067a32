"""Video I/O for summaries: read frames with PyAV, write the kept frames and their audio, make demo clips.

``video.reader.iter_frames`` defines frame indices (the i-th decoded frame); ``video.writer.write_summary``
takes a keep mask over those same indices. Every failure to read names the file (``VideoOpenError``,
``VideoDecodeError`` in ``video.errors``). Import the modules themselves: this package imports nothing,
so a command line reads ``video.containers`` (the --format choices) without loading PyAV.
"""
