"""Fake full disks for one folder, for tests of what a run does when it cannot write.

Neither needs privileges (a real one needs a small mounted file system): each makes one system
call fail with ENOSPC for paths under ``folder`` and leaves every other path alone.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest


def _under(path: str | os.PathLike, folder: Path) -> bool:
    return os.path.abspath(path).startswith(os.path.abspath(folder) + os.sep)


def _no_space() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def disk_full(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """The disk is full already: writing data into any file under ``folder`` fails (``os.write``)."""
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        link = f"/proc/self/fd/{fd}"
        if os.path.exists(link) and _under(os.readlink(link), folder):
            raise _no_space()
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


def disk_fills_during_run(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Checks at the start pass, but no finished file lands under ``folder``: every atomic output's
    final step (``os.replace`` of its temporary file) fails there, whatever wrote the file."""
    real_replace = os.replace

    def replace(src: str | os.PathLike, dst: str | os.PathLike, **kwargs: object) -> None:
        if _under(dst, folder):
            raise _no_space()
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
