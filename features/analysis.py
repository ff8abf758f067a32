"""One streaming pass over a video: GoogLeNet features of the frames that need them, and a tiny
colour thumbnail of every frame for finding cuts. No frame is kept once it is processed.

Torch-free at import (the embedder is passed in): generate_video starts decoding before it imports torch."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from features.frames import THUMBNAIL_BYTES, Frame, cropped_frames, sampled_frames
from utils.memory import PeriodicRelease
from utils.progress import progress_bar

if TYPE_CHECKING:
    from features.embedder import FrameEmbedder

_DONE = object()


@dataclass
class FrameAnalysis:
    n_frames: int
    features: np.ndarray  # Sized [ceil(n_frames / embed_every), 1024]: frames 0, embed_every, ...
    embed_every: int
    thumbnails: np.ndarray  # Sized [n_frames, 288], uint8
    times: np.ndarray  # Sized [n_frames], float64: presentation times in seconds (NaN where unknown)


def analyse_video(
    path: Path, embedder: FrameEmbedder, embed_every: int, batch_size: int = 32,
    expected_frames: int | None = None, progress: bool = True, overlap: bool | None = None,
    frames: Iterable[Frame] | None = None,
) -> FrameAnalysis:
    """Decode ``path`` once; embed every ``embed_every``-th frame (1: every frame, the reference route).

    frames: ``path``'s frames as ``features.frames.cropped_frames(path, embed_every,
    embedder.crop_geometry)`` gives them, already being decoded elsewhere (features.decode_ahead);
    default: decoded here (whole frames for ``embedder.preprocess`` when the embedder's transform
    is not a preset's crop, e.g. build_dataset's ``--preprocess resize``).
    overlap: decode and crop in a worker thread while the network embeds the previous batch.
    Default: only when frames are decoded here and skipped (embed_every > 1), where decoding is
    most of the work. When every frame is embedded (the exact route) this thread decodes while the
    embedder's own single-threaded workers run the network (FrameEmbedder.embed_batches); a
    decoding thread beside them would only add a thread to a small CPU.
    """
    if overlap is None:
        overlap = frames is None and embed_every > 1
    geometry = embedder.crop_geometry
    to_input = embedder.normalise if geometry is not None else embedder.preprocess
    if frames is None:  # decoded here: cropped as the embedder crops, or whole for a transform of its own
        frames = cropped_frames(path, embed_every, geometry) if geometry is not None else sampled_frames(path, embed_every)
    thumbnails: list[np.ndarray] = []
    times: list[float] = []
    features = []
    release = PeriodicRelease()  # without it, freed frame buffers pile up as heap fragments (utils/memory.py)
    bar = progress_bar(total=expected_frames or None, desc=f"features {path.name}", unit="frame", shown=progress, lines=False,
                       dynamic_ncols=True)
    batches = _input_batches(frames, to_input, batch_size, thumbnails, times)
    source = _in_worker(batches, path) if overlap else batches
    try:
        for batch_features in embedder.embed_batches(source):
            features.append(batch_features)
            release.tick()
            bar.n = len(thumbnails)
            bar.refresh()
    finally:
        source.close()  # closes the video (in the worker's case, stops the worker, which closes it)
        bar.n = len(thumbnails)
        bar.close()
    n_frames = len(thumbnails)
    stacked = np.concatenate(features) if features else np.zeros((0, 1024), np.float32)
    return FrameAnalysis(n_frames, stacked, embed_every, np.stack(thumbnails) if thumbnails else np.zeros((0, THUMBNAIL_BYTES), np.uint8),
                         np.array(times[:n_frames], dtype=np.float64))


def _input_batches(
    frames: Iterable[Frame], to_input: Callable[[np.ndarray], Any], batch_size: int, thumbnails: list[np.ndarray],
    times: list[float],
) -> Iterator[list]:
    """The network's inputs (``to_input`` of each frame's pixels) in batches of ``batch_size`` (the
    last may be smaller); appends every frame's thumbnail and time to the lists as it goes. Closing
    it closes ``frames`` (the video)."""
    crops = []
    iterator = iter(frames)
    try:
        for small, pixels, time in iterator:
            thumbnails.append(small)
            times.append(time)
            if pixels is not None:
                crops.append(to_input(pixels))
                if len(crops) == batch_size:
                    yield crops
                    crops = []
        if crops:
            yield crops
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _in_worker(batches: Iterator[list], path: Path) -> Iterator[list]:
    """``batches`` produced in a worker thread, at most two ahead of the consumer."""
    handoff: queue.Queue = queue.Queue(maxsize=2)  # bounded: decoding never runs far ahead
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                put(batch)
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consuming thread, which raises it
            put(error)
        finally:
            batches.close()

    worker = threading.Thread(target=produce, name=f"decode {path.name}", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
