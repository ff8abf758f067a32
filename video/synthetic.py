"""A synthetic demo clip with known hard cuts: coloured scenes, moving shapes and a tone per scene.

Used by the tests and as a stand-in input for ``generate_video.py`` when no real video is at
hand. Each scene has its own background colour (hues spaced by the golden ratio, so neighbours
always differ strongly), a few circles and rectangles crossing the frame, and a sine tone whose
pitch changes at every cut so a listener hears where the scenes change.

Run ``python -m cli.synthetic_video OUT.mp4 --help``.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from utils import atomic_output
from video.audio_cut import frame_to_sample
from video.codecs import add_audio_stream, add_video_stream, container_for

AUDIO_RATE = 44100
GOLDEN = 0.6180339887


@dataclass(frozen=True)
class Shape:
    """A circle or rectangle moving in a straight line, wrapping around the frame."""

    kind: str  # "circle" or "rect"
    colour: tuple[int, int, int]
    start: tuple[float, float]  # (x, y) in pixels
    velocity: tuple[float, float]  # pixels per frame
    size: float  # radius, or half the side


def scene_boundaries(scenes: int, seconds_per_scene: float | Sequence[float], fps: float) -> list[int]:
    """First frame of every scene, plus the total frame count at the end. Sized [scenes + 1]."""
    seconds = [float(seconds_per_scene)] * scenes if np.isscalar(seconds_per_scene) else [float(s) for s in seconds_per_scene]
    if scenes < 1 or len(seconds) != scenes:
        raise ValueError(f"need scenes >= 1 and one duration per scene; got scenes={scenes}, durations={seconds}")
    bounds = [0] + [round(t * fps) for t in np.cumsum(seconds)]  # rounded from cumulative time: no drift
    if any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
        raise ValueError(f"every scene needs at least one frame at {fps} fps; durations {seconds}")
    return bounds


def _scene_look(rng: np.random.Generator, scene: int, width: int, height: int, fps: float) -> tuple[np.ndarray, list[Shape]]:
    hue = (0.07 + scene * GOLDEN) % 1.0
    background = np.array(colorsys.hsv_to_rgb(hue, 0.75, 0.55 + 0.35 * (scene % 2))) * 255
    shapes = []
    for _ in range(int(rng.integers(2, 4))):
        speed = rng.uniform(0.25, 0.6) * width / fps  # crosses the frame in 2-4 seconds
        shapes.append(Shape(
            kind=str(rng.choice(["circle", "rect"])),
            colour=tuple(int(c) for c in rng.integers(0, 256, 3)),
            start=(float(rng.uniform(0, width)), float(rng.uniform(0, height))),
            velocity=(speed * float(rng.choice([-1, 1])), float(rng.uniform(-0.1, 0.1)) * height / fps),
            size=float(rng.uniform(0.05, 0.09) * height),
        ))
    return background.astype(np.uint8), shapes


def _draw(background: np.ndarray, shapes: list[Shape], t: int, width: int, height: int) -> np.ndarray:
    """Frame ``t`` of a scene, Sized [height, width, 3] uint8 RGB."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = background
    ys, xs = np.ogrid[:height, :width]
    for shape in shapes:
        x = (shape.start[0] + shape.velocity[0] * t) % width
        y = (shape.start[1] + shape.velocity[1] * t) % height
        if shape.kind == "circle":
            mask = (xs - x) ** 2 + (ys - y) ** 2 <= shape.size ** 2
        else:
            mask = (np.abs(xs - x) <= shape.size) & (np.abs(ys - y) <= shape.size)
        image[mask] = shape.colour
    return image


def _tone(first: int, count: int, bounds_samples: list[int], pitches: list[float], rate: int) -> np.ndarray:
    """Samples [first, first + count) of the tone track, float32 Sized [1, count]; phase-continuous within a scene."""
    n = np.arange(first, first + count)
    scene = np.clip(np.searchsorted(bounds_samples, n, side="right") - 1, 0, len(pitches) - 1)
    local = n - np.asarray(bounds_samples)[scene]
    wave = 0.3 * np.sin(2 * np.pi * np.asarray(pitches)[scene] * local / rate)
    return wave.astype(np.float32)[None, :]


def write_demo_video(path: str | Path, *, scenes: int = 5, seconds_per_scene: float | Sequence[float] = 3.0,
                     fps: float = 30.0, size: tuple[int, int] = (640, 360), audio: bool = True,
                     seed: int = 0) -> list[int]:
    """Write a demo clip with hard cuts, atomically; the container comes from the suffix (.mp4 by default codecs).

    Args:
        path: output file; .mp4 .mkv .mov .webm or .avi.
        scenes: number of scenes.
        seconds_per_scene: one duration for all scenes, or one per scene.
        fps: frame rate.
        size: (width, height) in pixels; even numbers, as yuv420p needs.
        audio: add a mono sine tone whose pitch changes per scene.
        seed: seeds the shapes.

    Returns:
        The frame indices where scenes 2, 3, ... start (the cuts; 0 excluded).

    Raises:
        ValueError: bad sizes, durations or suffix.
    """
    path = Path(path)
    width, height = size
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise ValueError(f"{path}: size must be even and at least 2x2, got {size}")
    spec = container_for(path)
    bounds = scene_boundaries(scenes, seconds_per_scene, fps)
    rate_fraction = Fraction(fps).limit_denominator(1001)
    rng = np.random.default_rng(seed)
    looks = [_scene_look(rng, s, width, height, fps) for s in range(scenes)]
    pitches = [220.0 * 2 ** (((s * 5) % 12) / 12) for s in range(scenes)]  # steps of a fourth: every cut audible
    with atomic_output(path) as tmp, av.open(str(tmp), "w", format=spec.format) as container:
        video = add_video_stream(container, spec.video_codec, rate_fraction, width, height, path)
        sound = None
        if audio:
            sound, target = add_audio_stream(container, spec.audio_codec, AUDIO_RATE, "mono", path)
            sound.codec_context.open()
            resampler = av.AudioResampler(format=target.format, layout="mono", rate=target.rate)
            chunk = sound.codec_context.frame_size or 1024
            bounds_samples = [frame_to_sample(b, rate_fraction, target.rate) for b in bounds]
            written = encoded = 0  # samples generated, samples handed to the encoder
        scene = 0
        for index in range(bounds[-1]):
            while index >= bounds[scene + 1]:
                scene += 1
            background, shapes = looks[scene]
            frame = av.VideoFrame.from_ndarray(_draw(background, shapes, index - bounds[scene], width, height), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
            if sound is not None:
                due = frame_to_sample(index + 1, rate_fraction, target.rate)
                while written < due:  # audio interleaved with the video it belongs to
                    count = min(chunk, bounds_samples[-1] - written)  # full encoder frames but the last
                    piece = av.AudioFrame.from_ndarray(_tone(written, count, bounds_samples, pitches, target.rate),
                                                       format="flt", layout="mono")
                    piece.sample_rate = target.rate
                    written += count
                    for converted in resampler.resample(piece):
                        converted.pts, converted.time_base = encoded, Fraction(1, target.rate)
                        container.mux(sound.encode(converted))
                        encoded += converted.samples
        container.mux(video.encode(None))
        if sound is not None:
            container.mux(sound.encode(None))
    return bounds[1:-1]
