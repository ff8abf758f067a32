"""Measurements the video tests make on written files."""

from __future__ import annotations

from fractions import Fraction
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


VFR_TONE_HZ = 440.0


def write_variable_rate_clip(path: Path, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """A variable-rate clip written directly with PyAV: 30 fps for 2 s (frames 0-59), 10 fps for
    2 s (frames 60-79), 30 fps for 2 s (frames 80-139). Its mono audio is silent except for a
    440 Hz tone while the 10 fps frames are shown (seconds 2 to 4). Returns the frame times."""
    times = np.concatenate([np.arange(60) / 30, 2 + np.arange(20) / 10, 4 + np.arange(60) / 30])
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.codec_context.time_base = Fraction(1, 90000)
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "mono"
        for index, time in enumerate(times):
            image = np.full((size[1], size[0], 3), (index * 7) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = round(time * 90000), Fraction(1, 90000)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        seconds = np.arange(6 * 44100) / 44100
        wave = np.where((seconds >= 2) & (seconds < 4), 0.5 * np.sin(2 * np.pi * VFR_TONE_HZ * seconds), 0).astype(np.float32)
        for start in range(0, len(wave), 1024):
            frame = av.AudioFrame.from_ndarray(wave[None, start:start + 1024], format="flt", layout="mono")
            frame.sample_rate, frame.pts = 44100, start
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
    return times


def write_rotated_clip(path: Path, degrees: int, *, hflip: bool = False, vflip: bool = False, frames: int = 12,
                       size: tuple[int, int] = (64, 48)) -> np.ndarray:
    """A clip stored landscape with a display matrix (PyAV's ``set_display_rotation``: turn counter-
    clockwise by ``degrees``, then mirror), as a phone writes one; -90 is an upright phone. Every
    frame is one picture whose colours change across and down, so any turn or mirror shows.
    Returns that picture, Sized [H, W, 3]."""
    width, height = size
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    image[..., 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p"
        stream.set_display_rotation(degrees, hflip=hflip, vflip=vflip)
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return image
