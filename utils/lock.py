"""One run per output: a lock file beside each output a run will write, held until the run ends.

The lock is an advisory ``flock`` on ``<output>.lock``. The kernel drops it when its process
ends, however it ends, so a killed run never blocks the next one (the next run takes the file
over and says so). The file holds the holder's pid, host, start time and command, so that a run
refused because another is writing the same output can say which one. POSIX only (``fcntl``).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from utils.errors import ProjectError
from utils.files import OutputError, reason

_ATTEMPTS = 20  # each retry follows a holder that released the file between our open and our lock


class OutputLocked(ProjectError):
    """Another run, still running, is writing an output this run would write."""


@dataclass(frozen=True)
class LockHolder:
    """Who wrote a lock file, as far as its content says (every field may be missing)."""

    pid: int | None = None
    host: str | None = None
    started: str | None = None
    command: str | None = None

    def describe(self) -> str:
        parts = [f"pid {self.pid}" if self.pid is not None else "an unknown process"]
        if self.host:
            parts.append(f"on {self.host}")
        if self.started:
            parts.append(f"since {self.started}")
        return " ".join(parts) + (f": {self.command}" if self.command else "")


def lock_path_for(output: str | os.PathLike) -> Path:
    """<output>.lock, beside the output."""
    output = Path(output)
    return output.with_name(output.name + ".lock")


def _read_holder(fd: int) -> LockHolder:
    try:
        data = json.loads(os.pread(fd, 1 << 16, 0).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return LockHolder()
    if not isinstance(data, dict):
        return LockHolder()
    pid = data.get("pid")
    return LockHolder(pid if isinstance(pid, int) else None, data.get("host"), data.get("started"), data.get("command"))


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


class OutputLock:
    """A held lock; ``release`` removes the file and lets the next run in."""

    def __init__(self, output: Path, path: Path, fd: int, taken_over: LockHolder | None) -> None:
        self.output = output
        self.path = path
        self.taken_over = taken_over  # who left the file behind, when a run ended without releasing it
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):  # removed by hand meanwhile, or a read-only disk: the lock goes with the fd
            self.path.unlink()
        os.close(self._fd)  # unlink first: a run waiting on this file then finds it gone and makes a fresh one
        self._fd = None


def acquire_lock(output: str | os.PathLike, command: str | None = None) -> OutputLock:
    """Lock ``output`` for this process, or refuse because another live run holds it.

    Args:
        command: recorded for a refused run to read; by default this process's command line.

    Raises:
        OutputLocked: another run holds it; the message names that run and the lock file.
        OutputError: the lock file cannot be created (the folder is not writable).
    """
    output = Path(output)
    path = lock_path_for(output)
    holder_info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": command if command is not None else shlex.join([sys.executable, *sys.argv]),
    }
    for _ in range(_ATTEMPTS):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise OutputError(f"could not create the lock file {path} for {output}: {reason(error)}", output, error) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise OutputLocked(
                f"{output} is being written by another run ({holder.describe()}); wait for it to finish or write "
                f"elsewhere (lock file {path})"
            ) from None
        except OSError:
            os.close(fd)
            raise
        if not _same_file(fd, path):  # the holder released (and removed) it between our open and our lock
            os.close(fd)
            continue
        previous = _read_holder(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder_info) + "\n").encode("utf-8"), 0)
        return OutputLock(output, path, fd, previous if previous != LockHolder() else None)
    raise OutputLocked(f"{output}: the lock file {path} kept changing hands; another run is starting on the same output")
