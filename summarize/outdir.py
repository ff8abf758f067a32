"""The output folder of a summary run: created and checked writable before any work, held by a lock
while the run writes in it, and cleared of the temporary files a killed run left behind.

Every output is written under a temporary name beside it and renamed when complete
(``utils.files.atomic_output``: ``.<name>.<8 random characters>.partial``), so a run killed mid-write
leaves such a file and never a half-written output. The next run removes those that belong to its
own outputs, but only when no other run holds the folder (a shared ``flock`` on
``.generate_video.lock`` by every run; the clean-up takes it exclusively for a moment), so a
temporary file that another live run is writing is never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from utils.paths import display_path

try:
    import fcntl
except ImportError:  # Windows: no flock; an open file cannot be deleted there anyway
    fcntl = None

LOCK_NAME = ".generate_video.lock"


def prepare_output_folder(folder: Path) -> None:
    """Create ``folder`` and prove a file can be written in it.

    Raises:
        OSError: names the folder and the reason.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".generate_video-write-test-"):
            pass
    except OSError as error:
        raise OSError(f"output folder {display_path(folder)} cannot be written ({error.strerror or error})") from error


def _temporary_name(output_name: str) -> re.Pattern[str]:
    """The temporary names ``atomic_output`` gives while writing ``output_name`` (see utils.files)."""
    return re.compile(r"\." + re.escape(output_name) + r"\.[a-z0-9_]{8}\.partial")


def leftover_temporaries(outputs: Iterable[Path]) -> list[Path]:
    """Temporary files of ``outputs`` (a killed run's unfinished writes), one listing per folder."""
    by_folder: dict[Path, list[re.Pattern[str]]] = {}
    for output in outputs:
        by_folder.setdefault(output.parent, []).append(_temporary_name(output.name))
    found = []
    for folder, patterns in by_folder.items():
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            continue
        found += [folder / name for name in sorted(names) if any(p.fullmatch(name) for p in patterns)]
    return found


@dataclass(frozen=True)
class FolderHold:
    removed: list[Path]  # temporary files of this run's outputs left by a killed run, now removed
    kept: list[Path]  # such files left alone: another run is writing in the folder, or they could not be removed


def _lock(path: Path) -> tuple[int, bool]:
    """Open and lock ``path``: exclusively if no other run holds it (then True), else shared. Retried
    when the file was removed or replaced meanwhile (a run that ended alone deletes it), so every
    holder holds the same file."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            fcntl.flock(fd, fcntl.LOCK_SH)
            alone = False
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd, alone
        os.close(fd)


@contextlib.contextmanager
def hold_output_folder(folder: Path, outputs: Iterable[Path]) -> Iterator[FolderHold]:
    """Hold ``folder`` for the run (shared with other runs) and first remove the temporary files of
    ``outputs`` that a killed run left, if no other run holds the folder at that moment. The hold
    lasts until the block ends or the process dies (the system drops it); the last run out removes
    the lock file, so a finished run leaves only its outputs."""
    outputs = list(outputs)
    if fcntl is None:
        yield _remove_leftovers(outputs)
        return
    path = folder / LOCK_NAME
    fd, alone = _lock(path)
    try:
        if alone:
            hold = _remove_leftovers(outputs)
            fcntl.flock(fd, fcntl.LOCK_SH)  # let other runs in
        else:  # another run is writing here: its temporary files may be live
            hold = FolderHold([], leftover_temporaries(outputs))
        yield hold
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another run still holds the folder and will remove the file
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        finally:
            os.close(fd)


def _remove_leftovers(outputs: list[Path]) -> FolderHold:
    removed, kept = [], []
    for path in leftover_temporaries(outputs):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            kept.append(path)
            continue
        removed.append(path)
    return FolderHold(removed, kept)
