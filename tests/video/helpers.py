"""Measurements the video tests make on written files."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from video.reader import iter_frames


def frame_means(path: Path) -> np.ndarray:
    """Mean RGB of every frame, Sized [n_frames, 3]."""
    return np.array([frame.mean(axis=(0, 1)) for frame in iter_frames(path)])


def decoded_audio(path: Path) -> tuple[np.ndarray, int]:
    """The first audio track as mono float samples, Sized [n_samples], and its rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.codec_context.sample_rate)
        pieces = [out.to_ndarray()[0] for frame in container.decode(stream) for out in resampler.resample(frame)]
        pieces += [out.to_ndarray()[0] for out in resampler.resample(None)]
        return np.concatenate(pieces), stream.codec_context.sample_rate


def dominant_pitch(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency in ``samples``, in Hz."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def write_solid_clip(path: Path, rgb: tuple[int, int, int], frames: int, fps: int = 30, size: tuple[int, int] = (64, 48)) -> None:
    """A clip whose every frame is one colour, written directly with PyAV (no project code)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        image = np.empty((size[1], size[0], 3), np.uint8)
        image[:] = rgb
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
