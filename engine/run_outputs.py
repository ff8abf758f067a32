"""A run's outputs: all checked and locked before the work starts, and kept somewhere when their
own place cannot be written once the work is done.

Every command calls ``claim_outputs`` (or ``refuse_collisions`` and ``refuse_existing`` first, when it
knows its outputs only once it has found its videos) with every file it will write, before loading
torch or training anything: a read-only folder, a path under a regular file, a full disk, an
output that is one of the inputs, an existing output without --overwrite (the one overwrite rule,
``refuse_existing``), or another run writing the same file then costs seconds, not a training run.
If the disk still fills during the run, ``Fallback.write`` keeps the result under the system's
temporary folder and says where. Standard library only.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from utils.errors import ProjectError
from utils.files import OutputError, reason
from utils.lock import OutputLock, acquire_lock
from utils.paths import display_path, file_identity

log = logging.getLogger(__name__)

PROBE_BYTES = 64 * 1024  # a full disk refuses this much; an empty file would still be created


class OutputConflict(ProjectError):
    """An output that would replace one of the run's inputs, another of its outputs, or a folder."""


@dataclass(frozen=True)
class KeptElsewhere:
    wanted: Path  # where the output should have gone
    kept: Path  # where it is
    reason: str  # why the first place refused it ("No space left on device")


class Fallback:
    """Writes an output in its place or, if the system refuses, under a folder of this run's own
    beneath the system's temporary folder (else the current folder), with the output's absolute
    path repeated below it. Once a folder has refused a file, the later files meant for it (the
    record and curve of a kept weights file) go straight to the same fallback, to stay together."""

    def __init__(self, roots: Sequence[Path] | None = None) -> None:
        self._roots = [Path(root) for root in roots] if roots is not None else [Path(tempfile.gettempdir()), Path.cwd()]
        self._folders: dict[Path, Path] = {}  # root -> this run's folder under it, made on first use
        self._refused: dict[Path, OutputError] = {}  # folder -> why it refused a file
        self.kept: list[KeptElsewhere] = []

    def _folder(self, root: Path) -> Path:
        if root not in self._folders:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            self._folders[root] = Path(tempfile.mkdtemp(prefix=f"csta-kept-{stamp}-", dir=root))
        return self._folders[root]

    def write(self, path: Path, writer: Callable[[Path], object]) -> Path:
        """Call ``writer(path)``; if that raises ``OutputError``, ``writer`` again on the fallback path.

        ``writer`` writes the output (a file, or a folder of files) at the path it is given.

        Returns:
            Where the output is.

        Raises:
            OutputError: no place would take it; the message lists every place tried and why.
        """
        path = Path(path)
        first = self._refused.get(path.parent)
        if first is None:
            try:
                writer(path)
                return path
            except OutputError as error:
                first = self._refused[path.parent] = error
        tried = [f"{path} ({reason(first)})"]
        for root in self._roots:
            try:
                target = self._folder(root) / Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(path)).anchor)
                writer(target)
            except OSError as error:  # OutputError included
                tried.append(f"{root} ({reason(error)})")
                continue
            self.kept.append(KeptElsewhere(path, target, reason(first)))
            log.warning("could not write %s (%s); kept it as %s instead", path, reason(first), target)
            return target
        raise OutputError(f"could not write {path}, nor keep it elsewhere; tried: {'; '.join(tried)}", path, first) from first

    def summary(self) -> str:
        """One line per output that is not where it was asked for; '' when every output is."""
        return "\n".join(f"  {kept.wanted} -> {kept.kept} ({kept.reason})" for kept in self.kept)

    def exit_status(self, log: logging.Logger) -> int:
        """A command's exit status once its outputs are written: 0 when every one is where it was asked for; else 1,
        after one warning listing where each of the others was kept (every command says it in the same words)."""
        if not self.kept:
            return 0
        log.warning("\n%d output(s) could not be written where asked and were kept elsewhere (move them where they belong):\n%s",
                    len(self.kept), self.summary())
        return 1


class ClaimedOutputs:
    """The checked and locked outputs of a run. Leaving the ``with`` block releases the locks and
    removes the folders the claim created that are still empty (the run stopped before writing)."""

    def __init__(self) -> None:
        self.locks: list[OutputLock] = []
        self.created: list[Path] = []  # folders made by the claim, parents first
        self.fallback = Fallback()

    def release(self) -> None:
        for lock in self.locks:
            lock.release()
        self.locks = []
        for folder in reversed(self.created):
            with contextlib.suppress(OSError):  # not empty: the run wrote into it, and it stays
                folder.rmdir()
        self.created = []

    def __enter__(self) -> ClaimedOutputs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _where(path: Path) -> tuple[str, tuple[int, int] | None]:
    """A path's resolved text (links followed) and the (device, inode) of the file there (None: nothing yet)."""
    return os.path.realpath(path), file_identity(path)


def refuse_collisions(outputs: Sequence[Path], inputs: Iterable[Path], *, output_folder: Path | None = None,
                      input_folders: Iterable[Path] = (), notes: Mapping[Path, str] | None = None) -> None:
    """The one check, made by every command before any work, that no output is one of its inputs and
    no two outputs are one file, whatever the flags (``--overwrite`` included): compared as resolved paths
    and as files (symbolic and hard links, a case-blind disk). claim_outputs makes it; a command that
    claims its outputs later (build_dataset.py, generate_video.py, once they know their videos) makes it first.

    Args:
        output_folder, input_folders: a command that writes into a folder and reads folders (generate_video.py):
            the output folder may not be one of them, or the outputs would be read as inputs by the next run.
        notes: a word on some outputs for the message ("summary of clip.mp4").

    Raises:
        OutputConflict: names every output that is an input, and the input (or the two outputs, or the folder).
    """
    if output_folder is not None:
        out_real, out_identity = _where(output_folder)
        for folder in input_folders:
            real, identity = _where(folder)
            if real == out_real or (identity is not None and identity == out_identity):
                raise OutputConflict(f"the output folder {display_path(output_folder)} is also an input folder ({display_path(folder)}): "
                                     "the outputs would be mixed with the inputs and read as inputs by the next run; choose another "
                                     "output folder")
    by_real: dict[str, Path] = {}
    by_identity: dict[tuple[int, int], Path] = {}
    for source in inputs:
        real, identity = _where(Path(source))
        by_real.setdefault(real, Path(source))
        if identity is not None:
            by_identity.setdefault(identity, Path(source))
    notes = notes or {}
    clashes = []
    written: dict[str, Path] = {}
    for output in map(Path, outputs):
        real, identity = _where(output)
        source = by_real.get(real) or (by_identity.get(identity) if identity is not None else None)
        if source is not None:
            note = f" ({notes[output]})" if output in notes else ""
            clashes.append(f"the output {display_path(output)}{note} is the input {display_path(source)}")
        if real in written:
            raise OutputConflict(f"two outputs of this run are the same file ({display_path(written[real])} and {display_path(output)}); "
                                 "one would replace the other")
        written[real] = output
    if len(clashes) == 1:
        raise OutputConflict(f"{clashes[0]}: writing it would replace the input, whatever the flags; write the output elsewhere")
    if clashes:
        raise OutputConflict("refusing to write over inputs, whatever the flags:\n  " + "\n  ".join(clashes)
                             + "\nwrite the outputs elsewhere")


OVERWRITE_FLAG = "--overwrite"  # cli/options.add_overwrite_argument defines it; the messages name it


class OutputExists(OutputConflict):
    """An output already there, and --overwrite not given: refused before any work."""


def exists_message(existing: Sequence[Path]) -> str:
    """The overwrite rule's one message: the files named, and what replaces them."""
    names = ", ".join(display_path(path) for path in existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
    if len(existing) == 1:
        return f"{names} already exists; {OVERWRITE_FLAG} replaces it (once the new file is complete)"
    return f"{names} already exist; {OVERWRITE_FLAG} replaces them (each once its new file is complete)"


def refuse_existing(outputs: Iterable[Path], overwrite: bool) -> None:
    """The one overwrite rule: an output that is already there (a file, a link, even a broken one) is
    refused unless ``overwrite``; with it, the file is replaced only when its new version is complete
    (every writer writes to a temporary name and renames).

    Raises:
        OutputExists: names every existing output.
    """
    if overwrite:
        return
    existing = [Path(path) for path in outputs if os.path.lexists(path)]
    if existing:
        raise OutputExists(exists_message(existing))


def where_outputs_go(what: str, *paths: Path) -> str:
    """The line a command prints before its work: where its outputs go, as absolute paths (a default
    folder is relative to the current folder, like every path a user passes)."""
    return f"writing {what} to {', '.join(dict.fromkeys(display_path(os.path.abspath(path)) for path in paths))}"


def _make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; returns those created, parents first."""
    missing = []
    for candidate in [folder, *folder.parents]:
        if os.path.lexists(candidate):
            if not candidate.is_dir():
                raise OutputError(f"cannot create the folder {folder}: {candidate} exists and is not a folder", folder)
            break
        missing.append(candidate)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the folder {folder}: {reason(error)}", folder, error) from error
    return missing[::-1]


def _probe(folder: Path) -> None:
    """Prove ``folder`` takes a file with some data in it, then leave it as it was."""
    try:
        fd, name = tempfile.mkstemp(prefix=".csta-write-test-", dir=folder)
    except OSError as error:
        raise OutputError(f"cannot write in {folder}: {reason(error)}", folder, error) from error
    try:
        os.write(fd, bytes(PROBE_BYTES))
    except OSError as error:
        raise OutputError(f"cannot write in {folder}: {reason(error)}", folder, error) from error
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)


def claim_outputs(outputs: Sequence[Path], inputs: Iterable[Path] = (), lock: Sequence[Path] = (), fresh: Sequence[Path] = (),
                  overwrite: bool = False) -> ClaimedOutputs:
    """Check every output of a run before the work starts, and lock the main ones.

    Args:
        outputs: every file the run will write.
        inputs: every file the run reads; no output may be one of them (links and hard links followed).
        lock: the outputs that another run must not write meanwhile (a lock file each, <output>.lock,
            held until the claim is released; one left by a run that died is taken over, with a warning).
        fresh, overwrite: the outputs under the overwrite rule (refuse_existing): one already there is refused
            unless ``overwrite``. train.py's weights, records and curves are not among them: a finished run is
            skipped and --restart trains it again (engine/train/resume_policy.py).

    Raises:
        OutputConflict: an output is an input, two outputs are the same file, or an output is a folder.
        OutputExists: an output of ``fresh`` is already there, and not ``overwrite``.
        OutputError: a folder cannot be created or written (read-only, under a regular file, full disk).
        OutputLocked: another running process holds one of the locks.
    """
    outputs = [Path(path) for path in outputs]
    if not set(map(Path, lock)) <= set(outputs):
        raise ValueError("every locked path must be one of the outputs")  # a caller's mistake, not the user's
    if not set(map(Path, fresh)) <= set(outputs):
        raise ValueError("every output under the overwrite rule must be one of the outputs")
    refuse_collisions(outputs, inputs)
    for output in outputs:
        if output.is_dir():
            raise OutputConflict(f"the output {output} is an existing folder; a file cannot replace it")
    refuse_existing(fresh, overwrite)
    claim = ClaimedOutputs()
    try:
        for folder in dict.fromkeys(output.parent for output in outputs):
            claim.created += _make_folder(folder)
            _probe(folder)
        for output in lock:
            held = acquire_lock(output)
            claim.locks.append(held)
            if held.taken_over is not None:
                log.warning("%s was left by %s, which is no longer running; taking it over", held.path, held.taken_over.describe())
    except BaseException:
        claim.release()
        raise
    return claim
