"""Decoding a video in a helper process that starts before torch is imported.

A run's first seconds go to importing torch and torchvision and loading the networks (about 2.5 s
on the 2-core machine), on one core. A helper process started before that decodes the video
meanwhile on the other core: thumbnails, times and crops (features.frames), everything the
analysis pass needs before the network. A thread cannot do it: the imports hold Python's global
lock most of the time (measured on a 20 s 320x240 clip: a decoding thread had 100-200 of its 600
frames ready when the imports ended, this process 577-600; the whole run 11.3 -> 10.8 s).

The helper imports neither torch nor torchvision (this module and features.frames are torch-free)
and hands frames over through shared memory, a bounded ring: at most CROP_SLOTS crops (154 MB at
224 x 224) and FRAME_SLOTS thumbnails are held, after which it waits for the consumer. Frames come
out in order and are the in-process route's bit for bit (the same code makes them). A video the
helper cannot read raises the same error (VideoOpenError, VideoDecodeError) when its frames are
read; a helper that dies says so with its exit code (the analysis then decodes the video itself).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import traceback
from collections.abc import Iterator
from multiprocessing import shared_memory
from pathlib import Path
from typing import Any

import numpy as np

from features.crop import CropGeometry
from features.frames import THUMBNAIL_BYTES, Frame, cropped_frames
from utils.errors import ProjectError
from utils.helper_process import without_ctrl_c

log = logging.getLogger(__name__)

CROP_SLOTS = 1024
MIN_CROP_SLOTS = 16
FRAME_SLOTS = 16384
# Marks in the crop-index column: a frame without a crop, and the end of the stream.
_NO_CROP, _END = -1, -2
# Seconds between checks that the other side is still there while waiting.
_POLL = 0.25


class DecodeAheadError(ProjectError):
    """The helper process stopped without finishing the video (killed, out of memory)."""


class _Ring:
    """The shared-memory arrays: crops, per frame its thumbnail, time and crop slot, and a stop flag
    (a byte, not a multiprocessing.Event, whose lock a killed helper could leave held)."""

    def __init__(self, memory: shared_memory.SharedMemory, crop: int, crop_slots: int, frame_slots: int) -> None:
        offsets = np.cumsum([0, *self._parts(crop, crop_slots, frame_slots)])
        buffer = memory.buf
        self.crops = np.ndarray((crop_slots, crop, crop, 3), np.uint8, buffer, offsets[0])
        self.thumbnails = np.ndarray((frame_slots, THUMBNAIL_BYTES), np.uint8, buffer, offsets[1])
        self.times = np.ndarray((frame_slots,), np.float64, buffer, offsets[2])
        self.crop_slot = np.ndarray((frame_slots,), np.int64, buffer, offsets[3])
        self.stop = np.ndarray((1,), np.uint8, buffer, offsets[4])

    @staticmethod
    def _parts(crop: int, crop_slots: int, frame_slots: int) -> list[int]:
        """Bytes of each array, in the order they lie in the memory."""
        return [crop_slots * crop * crop * 3, frame_slots * THUMBNAIL_BYTES, frame_slots * 8, frame_slots * 8, 1]

    @classmethod
    def size(cls, crop: int, crop_slots: int, frame_slots: int) -> int:
        return sum(cls._parts(crop, crop_slots, frame_slots))


class _Helper:
    """What the helper process checks between frames: asked to stop, or its consumer gone (killed:
    nobody would ever read on)."""

    def __init__(self, ring: _Ring) -> None:
        self.ring = ring
        self.parent = multiprocessing.parent_process()

    def should_stop(self) -> bool:
        return bool(self.ring.stop[0]) or (self.parent is not None and not self.parent.is_alive())

    def acquire(self, semaphore: Any) -> bool:
        """Wait for ``semaphore``; False when the helper should stop instead."""
        while not semaphore.acquire(timeout=_POLL):
            if self.should_stop():
                return False
        return not self.should_stop()


def _produce(path: str, every: int, geometry: CropGeometry, memory_name: str, crop_slots: int, frame_slots: int,
             free_frames: Any, free_crops: Any, ready: Any, report: Any) -> None:
    """The helper process: decode ``path`` into the ring, end with the end mark and a report
    (None, the video's own error, or a RuntimeError carrying a bug's traceback)."""
    memory = shared_memory.SharedMemory(name=memory_name)
    try:
        _fill(_Ring(memory, geometry.crop, crop_slots, frame_slots), Path(path), every, geometry, free_frames, free_crops,
              ready, report)
    finally:
        memory.close()


def _fill(ring: _Ring, path: Path, every: int, geometry: CropGeometry, free_frames: Any, free_crops: Any, ready: Any,
          report: Any) -> None:
    """``_produce``'s work on the ring's arrays."""
    helper = _Helper(ring)
    frame_slots, crop_slots = len(ring.times), len(ring.crops)
    error: BaseException | None = None
    written = crops = 0
    try:
        for small, pixels, time in cropped_frames(path, every, geometry, threads=1):  # one core: the other imports
            if not helper.acquire(free_frames):
                return
            slot = written % frame_slots
            if pixels is None:
                ring.crop_slot[slot] = _NO_CROP
            else:
                if not helper.acquire(free_crops):
                    return
                ring.crops[crops % crop_slots] = pixels
                ring.crop_slot[slot] = crops % crop_slots
                crops += 1
            ring.thumbnails[slot] = small
            ring.times[slot] = time
            written += 1
            ready.release()
    except (ProjectError, OSError) as problem:  # the video's own problem: raised as such by the consumer
        error = problem
    except BaseException:  # noqa: BLE001 - a bug: its traceback goes to the consumer, which raises it
        error = RuntimeError(f"decoding {path} in the helper process failed:\n{traceback.format_exc()}")
    if helper.acquire(free_frames):
        ring.crop_slot[written % frame_slots] = _END
        with contextlib.suppress(OSError):  # the consumer went away meanwhile
            report.send(error)
        ready.release()


class DecodeAhead:
    """The frames of ``path`` (``features.frames.cropped_frames(path, every, geometry)``), decoded
    by a helper process that starts at once. Iterate once, from one thread; close when done (also
    on errors: ``close`` stops the helper and frees the shared memory)."""

    def __init__(self, path: Path, every: int, geometry: CropGeometry, crop_slots: int = CROP_SLOTS,
                 frame_slots: int = FRAME_SLOTS) -> None:
        self.path, self.every, self.geometry = Path(path), every, geometry
        self._crop_slots, self._frame_slots = crop_slots, frame_slots
        self._closed = True  # until everything below exists: close() then frees what does
        self._report = self._process = None
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of torch's threads inherited
        self._memory = shared_memory.SharedMemory(create=True, size=_Ring.size(geometry.crop, crop_slots, frame_slots))
        sender = None
        try:
            self._ring = _Ring(self._memory, geometry.crop, crop_slots, frame_slots)
            self._free_frames, self._free_crops = context.Semaphore(frame_slots), context.Semaphore(crop_slots)
            self._ready = context.Semaphore(0)
            self._report, sender = context.Pipe(duplex=False)
            self._process = context.Process(
                target=_produce, name=f"decode {self.path.name}", daemon=True,
                args=(str(self.path), every, geometry, self._memory.name, crop_slots, frame_slots,
                      self._free_frames, self._free_crops, self._ready, sender),
            )
            with without_ctrl_c():
                self._process.start()
        except BaseException:
            self._closed = False
            self.close()
            raise
        finally:
            if sender is not None:
                sender.close()
        self._closed = False

    @property
    def helper_running(self) -> bool:
        """Whether the helper process is still alive (it ends after the video, or when closed)."""
        return self._process is not None and self._process.is_alive()

    def matches(self, path: Path, every: int, geometry: CropGeometry | None) -> bool:
        """Whether these are the frames an analysis of ``path`` at ``every`` with ``geometry`` needs."""
        return (Path(path), every, geometry) == (self.path, self.every, self.geometry)

    def __iter__(self) -> Iterator[Frame]:
        read = 0
        while True:
            self._wait_for_frame()
            frame = self._take(read % self._frame_slots)
            if frame is None:
                error = self._report.recv()
                if error is not None:
                    raise error
                return
            read += 1
            yield frame

    def _take(self, slot: int) -> Frame | None:
        """Frame ``slot``'s values, copied out of the ring (whose slots are then given back); None at the end.
        Nothing that is handed out points into the ring: once ``close`` has unmapped it, reading it
        would crash the process."""
        ring = self._ring
        crop_slot = int(ring.crop_slot[slot])
        if crop_slot == _END:
            return None
        pixels = None if crop_slot == _NO_CROP else ring.crops[crop_slot].copy()
        frame = (ring.thumbnails[slot].copy(), pixels, float(ring.times[slot]))
        if pixels is not None:
            self._free_crops.release()
        self._free_frames.release()
        return frame

    def _wait_for_frame(self) -> None:
        if self._closed:
            raise DecodeAheadError(f"{self.path}: decoding ahead was stopped")
        while not self._ready.acquire(timeout=_POLL):
            if not self._process.is_alive() and not self._ready.acquire(timeout=0):
                raise DecodeAheadError(f"{self.path}: the process decoding it stopped before the end "
                                       f"(exit code {self._process.exitcode})")

    def close(self) -> None:
        """Stop the helper (if still running) and free the shared memory. Safe to call twice, and
        the memory is freed even if this is interrupted (Ctrl-C) while the helper is stopped."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._process is not None and self._process.pid is not None:
                try:
                    self._ring.stop[0] = 1
                    self._process.join(timeout=5)
                finally:
                    if self._process.is_alive():
                        self._process.kill()
                        self._process.join()
        finally:
            try:
                if self._report is not None:
                    self._report.close()
                self._ring = None  # the views go before the mapping does
                self._memory.close()
            finally:
                self._memory.unlink()

    def __enter__(self) -> DecodeAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def shared_memory_room() -> int | None:
    """Free bytes of /dev/shm, where POSIX shared memory lives on Linux; None where there is no such
    folder (macOS: the system's own limits apply) or no statvfs (Windows)."""
    statvfs = getattr(os, "statvfs", None)
    if statvfs is None:
        return None
    try:
        stats = statvfs("/dev/shm")
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def start_decoding(path: Path, every: int, geometry: CropGeometry) -> DecodeAhead | None:
    """A DecodeAhead for ``path`` whose ring takes at most half of the free shared memory (a
    container's /dev/shm may be 64 MB); None, after saying why, when that leaves room for fewer than
    MIN_CROP_SLOTS crops or no helper can start here: the frames are then decoded in the analysing
    process, as without it."""
    room = shared_memory_room()
    slots = CROP_SLOTS
    if room is not None:
        per_crop = _Ring.size(geometry.crop, 1, 0) - _Ring.size(geometry.crop, 0, 0)
        slots = min(CROP_SLOTS, (room // 2 - _Ring.size(geometry.crop, 0, FRAME_SLOTS)) // per_crop)
    if slots < MIN_CROP_SLOTS:
        log.info("decoding %s in this process: shared memory (/dev/shm) has %.0f MB free", path.name, (room or 0) / 1e6)
        return None
    try:
        return DecodeAhead(path, every, geometry, crop_slots=slots)
    except (OSError, ImportError) as error:  # no shared memory, no semaphores (ImportError) or no process to be had here
        log.info("decoding %s in this process: no helper process (%s)", path.name, error)
        return None
