"""One streaming pass over a video: GoogLeNet features of the frames that need them, and a tiny
colour thumbnail of every frame for finding cuts. No frame is kept once it is processed."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from tqdm import tqdm

from features.embedder import FrameEmbedder
from utils.memory import PeriodicRelease
from video.reader import decode_video, open_video

# Thumbnail used as the cheap full-frame-rate signal for shot boundaries: 12 x 8 x 3 = 288 bytes a frame.
THUMBNAIL_SIZE = (12, 8)
# 8-bit planar YUV: the thumbnail is taken from the decoded planes, without converting the frame to RGB.
_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p", "yuvj440p"}
_DONE = object()


@dataclass
class FrameAnalysis:
    n_frames: int
    features: np.ndarray  # Sized [ceil(n_frames / embed_every), 1024]: frames 0, embed_every, ...
    embed_every: int
    thumbnails: np.ndarray  # Sized [n_frames, 288], uint8
    times: np.ndarray  # Sized [n_frames], float64: presentation times in seconds (NaN where unknown)


def _shrink(image: np.ndarray) -> np.ndarray:
    """Area-average ``image`` down to THUMBNAIL_SIZE; large images are first thinned by striding (cheap)."""
    stride = max(1, min(image.shape[0], image.shape[1]) // (8 * THUMBNAIL_SIZE[1]))
    return cv2.resize(np.ascontiguousarray(image[::stride, ::stride]), THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)


def thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """A 12 x 8 picture of the frame, 3 channels (YUV or RGB), flattened. Sized [288], uint8."""
    if frame.format.name in _PLANAR_YUV:
        planes = [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, :p.width] for p in frame.planes[:3]]
        return np.stack([_shrink(plane) for plane in planes], axis=-1).reshape(-1)
    return _shrink(frame.to_ndarray(format="rgb24")).reshape(-1)


def sampled_frames(path: Path, every: int) -> Iterator[tuple[np.ndarray, np.ndarray | None, float]]:
    """(thumbnail, RGB frame or None, presentation time or NaN) for every decoded frame; RGB only
    for frames 0, every, 2 every, ..."""
    with open_video(path) as container:
        for index, frame in enumerate(decode_video(container, path)):
            rgb = frame.to_ndarray(format="rgb24") if index % every == 0 else None
            yield thumbnail(frame), rgb, np.nan if frame.time is None else frame.time


def analyse_video(
    path: Path, embedder: FrameEmbedder, embed_every: int, batch_size: int = 32,
    expected_frames: int | None = None, progress: bool = True, overlap: bool | None = None,
) -> FrameAnalysis:
    """Decode ``path`` once; embed every ``embed_every``-th frame (1: every frame, the reference route).

    overlap: decode and preprocess in a worker thread while the network embeds the previous batch.
    Default: only when frames are skipped (embed_every > 1), where decoding is most of the work.
    When every frame is embedded (the exact route) this thread decodes while the embedder's own
    single-threaded workers run the network (FrameEmbedder.embed_batches); a decoding thread
    beside them would only add a thread to a small CPU.
    """
    if overlap is None:
        overlap = embed_every > 1
    thumbnails: list[np.ndarray] = []
    times: list[float] = []
    features = []
    release = PeriodicRelease()  # without it, freed frame buffers pile up as heap fragments (utils/memory.py)
    bar = tqdm(total=expected_frames or None, desc=f"features {path.name}", unit="frame", disable=not progress, dynamic_ncols=True)
    batches = _crop_batches(path, embedder, embed_every, batch_size, thumbnails, times)
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
    return FrameAnalysis(n_frames, stacked, embed_every, np.stack(thumbnails) if thumbnails else np.zeros((0, 288), np.uint8),
                         np.array(times[:n_frames], dtype=np.float64))


def _crop_batches(
    path: Path, embedder: FrameEmbedder, embed_every: int, batch_size: int, thumbnails: list[np.ndarray], times: list[float],
) -> Iterator[list]:
    """Preprocessed crops in batches of ``batch_size`` (the last may be smaller); appends every
    frame's thumbnail and time to the lists as it decodes."""
    crops = []
    for small, rgb, time in sampled_frames(path, embed_every):
        thumbnails.append(small)
        times.append(time)
        if rgb is not None:
            crops.append(embedder.preprocess(rgb))
            if len(crops) == batch_size:
                yield crops
                crops = []
    if crops:
        yield crops


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
