"""Handing freed heap pages back to the system (utils/memory.py)."""

import ctypes.util
import sys

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
