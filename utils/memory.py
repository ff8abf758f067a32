"""Giving freed heap memory back to the operating system during long streaming passes.

Measured on a 10-minute 1080p video on a busy 2-core machine: while a decoding thread and the
network's batches take turns, glibc's allocator keeps the freed frame and activation buffers as
fragmented free space, and resident memory during feature extraction grew steadily with the
video's length (1.0 GB at 5% of the video to 1.7 GB at the end) although nothing was still in use.
``malloc_trim`` hands that space back; called once a second it kept resident memory flat
(0.94-1.01 GB over the whole pass) at about 4% of the pass's time. Elsewhere than glibc (macOS,
musl, Windows) this is a no-op.

And keeping large blocks for reuse (``reuse_large_blocks``): a network pass on a batch of frames
allocates and frees the same large buffers batch after batch; glibc gives them back to the system
after each batch and the next one pays a page fault per page it writes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from functools import cache

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# The largest block glibc agrees to serve from its heap rather than map (HEAP_MAX_SIZE / 2 on 64-bit systems).
LARGEST_HEAP_BLOCK = 32 * 1024 * 1024
# Free space at the top of a heap that glibc keeps instead of giving it back on its own (PeriodicRelease still does).
KEPT_FREE_SPACE = 256 * 1024 * 1024


@cache
def _glibc_function(name: str):  # noqa: ANN202 - a ctypes function or None
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    try:
        return getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):  # not glibc
        return None


@cache
def _malloc_trim():  # noqa: ANN202 - a ctypes function or None
    trim = _glibc_function("malloc_trim")
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


@cache
def _mallopt():  # noqa: ANN202 - a ctypes function or None
    mallopt = _glibc_function("mallopt")
    if mallopt is not None:
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt


def release_free_memory() -> bool:
    """Return the heap's free pages to the system; True when the C library could do it."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def reuse_large_blocks() -> bool:
    """Serve blocks of up to 32 MiB from the heap and keep up to 256 MiB of free space there, for
    the whole process; True when the C library took both settings.

    Why: glibc's dynamic thresholds put a large block on the heap once one of its size has been
    freed, but give the top of the heap back to the system when more than twice that block's size
    is free there. GoogLeNet on 8 frames at 224 x 224 allocates two such blocks per batch (the first
    convolution's 25.7 MB output and oneDNN's blocked copy of it) and frees both: just over the
    limit, so the heap shrinks after every batch (seen with strace as brk going down and up), and
    the next batch writes fresh pages, a page fault per 4 KiB: 12,500 per batch, 2.5 of the 23.6 ms
    that a frame took on the 2-core machine (bench/README.md). The values computed are
    the same; only where the buffers come from changes. Permanent: glibc's dynamic threshold cannot
    be restored once set. Elsewhere than glibc a no-op.
    """
    mallopt = _mallopt()
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, LARGEST_HEAP_BLOCK)) & bool(mallopt(_M_TRIM_THRESHOLD, KEPT_FREE_SPACE))


class PeriodicRelease:
    """Calls ``release_free_memory`` at most once per ``interval`` seconds; cheap to tick every batch."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            release_free_memory()
            self._last = time.monotonic()
