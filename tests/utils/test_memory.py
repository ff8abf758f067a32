"""Handing freed heap pages back to the system (utils/memory.py)."""

import ctypes.util
import subprocess
import sys
from pathlib import Path

import pytest

from utils import memory
from utils.memory import PeriodicRelease, release_free_memory

GLIBC = sys.platform.startswith("linux") and ctypes.util.find_library("c") is not None


def resident_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line in /proc/self/status")


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_freed_fragments_go_back_to_the_system():
    # Many heap-sized blocks (under glibc's mmap threshold), all freed but the last: the last one
    # pins the top of the heap, so glibc's own top-of-heap trimming cannot return the rest.
    blocks = [bytearray(64 * 1024) for _ in range(3000)]  # ~190 MiB
    keep = blocks[-1]
    del blocks
    before = resident_mib()
    assert release_free_memory() is True
    after = resident_mib()
    assert before - after > 100, (before, after)
    assert len(keep) == 64 * 1024


def test_periodic_release_waits_for_its_interval(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(1) or True)
    clock = iter([0.0, 0.4, 0.9, 1.2, 1.2, 1.5, 2.3, 2.3])
    monkeypatch.setattr(memory.time, "monotonic", lambda: next(clock))
    release = PeriodicRelease(interval=1.0)  # starts at 0.0
    release.tick()  # 0.4
    release.tick()  # 0.9
    assert calls == []
    release.tick()  # 1.2: released, restarts at 1.2
    assert calls == [1]
    release.tick()  # 1.5
    release.tick()  # 2.3: released
    assert calls == [1, 1]


def test_without_glibc_it_is_a_no_op(monkeypatch):
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    assert release_free_memory() is False


FAULTS_AFTER = """
import ctypes, resource
from utils.memory import reuse_large_blocks

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
SIZE = 8 * 64 * 112 * 112 * 4  # GoogLeNet's first convolution's output for 8 frames

def faults_per_batch(batches=4):
    # What a batch does: two buffers of that size (the output and oneDNN's copy), written, then freed.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(batches):
        blocks = [libc.malloc(SIZE) for _ in range(2)]
        for block in blocks:
            libc.memset(block, 1, SIZE)
        for block in blocks:
            libc.free(block)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / batches

faults_per_batch()  # glibc's dynamic threshold settles
default = faults_per_batch()
assert reuse_large_blocks() is True
faults_per_batch()  # the heap grows to hold the blocks once
print(default, faults_per_batch())
"""


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_large_blocks_are_reused_without_page_faults():
    # In a process of its own: the setting is process-wide and cannot be undone.
    result = subprocess.run([sys.executable, "-c", FAULTS_AFTER], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2])
    before, after = map(float, result.stdout.split())
    assert before > 10_000, before  # glibc's default gives the freed blocks back: a fault per 4 KiB page written (12,544 pages)
    assert after < 100, after


def test_without_glibc_reuse_is_a_no_op(monkeypatch):
    monkeypatch.setattr(memory, "_mallopt", lambda: None)
    assert memory.reuse_large_blocks() is False
