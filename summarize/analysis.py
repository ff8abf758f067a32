"""One streaming pass over a video: GoogLeNet features of the frames that need them, and a tiny
colour thumbnail of every frame for finding cuts. Decoding and preprocessing run in a worker
thread while the network embeds the previous batch; no frame is kept once it is processed."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from summarize.embedder import FrameEmbedder
from video.reader import iter_frames

# Thumbnail used as the cheap full-frame-rate signal for shot boundaries: 12 x 8 RGB = 288 bytes a frame.
THUMBNAIL_SIZE = (12, 8)
_DONE = object()


@dataclass
class FrameAnalysis:
    n_frames: int
    features: np.ndarray  # Sized [ceil(n_frames / embed_every), 1024]: frames 0, embed_every, ...
    embed_every: int
    thumbnails: np.ndarray  # Sized [n_frames, 288], uint8


def thumbnail(frame: np.ndarray) -> np.ndarray:
    return cv2.resize(frame, THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA).reshape(-1)


def analyse_video(
    path: Path, embedder: FrameEmbedder, embed_every: int, batch_size: int = 32,
    expected_frames: int | None = None, progress: bool = True,
) -> FrameAnalysis:
    """Decode ``path`` once; embed every ``embed_every``-th frame (1: every frame, the reference route)."""
    batches: queue.Queue = queue.Queue(maxsize=3)
    stop = threading.Event()
    thumbnails: list[np.ndarray] = []

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def decode() -> None:
        crops = []
        try:
            for index, frame in enumerate(iter_frames(path)):
                if stop.is_set():
                    return
                thumbnails.append(thumbnail(frame))
                if index % embed_every == 0:
                    crops.append(embedder.preprocess(frame))
                    if len(crops) == batch_size:
                        put(crops)
                        crops = []
            if crops:
                put(crops)
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread, which raises it
            put(error)

    worker = threading.Thread(target=decode, name=f"decode {path.name}", daemon=True)
    features = []
    bar = tqdm(total=expected_frames or None, desc=f"features {path.name}", unit="frame", disable=not progress, dynamic_ncols=True)
    worker.start()
    try:
        while True:
            item = batches.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            features.append(embedder.embed(item))
            bar.n = len(thumbnails)
            bar.refresh()
    finally:
        stop.set()
        worker.join(timeout=5)
        bar.n = len(thumbnails)
        bar.close()
    n_frames = len(thumbnails)
    stacked = np.concatenate(features) if features else np.zeros((0, 1024), np.float32)
    return FrameAnalysis(n_frames, stacked, embed_every, np.stack(thumbnails) if thumbnails else np.zeros((0, 288), np.uint8))
