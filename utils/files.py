"""Write outputs so that a failed or interrupted run never leaves a half-written file under its
final name and never destroys the previous result: write beside it, then rename.

A write the system refuses (full disk, read-only folder, no permission, a file where a folder
should be) becomes an ``OutputError`` naming the output, so a user reads which file was not
written and that the earlier one is intact, instead of a library's message about its own internals.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from utils.errors import ProjectError


class OutputError(ProjectError, OSError):
    """An output the system would not let us write; the message names it and says why.

    An ``OSError`` too, with the cause's ``errno`` and ``strerror``, so handlers of OS errors keep working.
    """

    def __init__(self, message: str, path: str | os.PathLike, cause: OSError | None = None) -> None:
        super().__init__(message)
        self.path = Path(path)
        if cause is not None:
            self.errno, self.strerror = cause.errno, cause.strerror

    def __str__(self) -> str:
        return str(self.args[0])


def reason(error: OSError) -> str:
    """The system's words for an OS error ("No space left on device"), without the path it repeats."""
    return error.strerror or str(error)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _output_error(final: Path, error: OSError) -> OutputError:
    previous = "; the earlier file there is unchanged" if final.is_file() else ""
    return OutputError(f"could not write {final}: {reason(error)}{previous}", final, error)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the same folder; rename it to ``path`` only if the block succeeds.

    Raises:
        OutputError: the system refused a write: creating the folder or the temporary file, an
            ``OSError`` carrying an errno inside the block (a failed system call, e.g. ENOSPC from a
            ``write``), or the final rename. Nothing is left under the temporary name, and a file
            already at ``path`` is untouched. An ``OSError`` the block raises itself, without an errno
            (``FileExistsError("... appeared")``), is not about the disk and passes through as it is.
    """
    final = Path(path)
    tmp: Path | None = None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        yield tmp
        if tmp.exists():
            tmp.chmod(0o666 & ~_current_umask())  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp, final)
    except OutputError:
        raise
    except OSError as error:
        if error.errno is None:
            raise
        raise _output_error(final, error) from error
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):  # a full or read-only disk may refuse even this; the error above says why
                tmp.unlink(missing_ok=True)


def refused_write(error: BaseException) -> OSError | None:
    """The failed system call behind ``error``, if its chain of causes holds one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError) and current.errno is not None:
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@contextlib.contextmanager
def atomic_stream(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """An open binary stream that becomes ``path`` only if the block succeeds (``atomic_output``).

    For serializers that report a failed write as their own error: ``torch.save`` given a path
    writes from C++ and a full disk is "RuntimeError: ... iostream error"; given this stream, the
    refused ``write`` is an ``OSError`` that torch chains to its RuntimeError, and the block's
    error becomes an ``OutputError`` naming ``path``.
    """
    with atomic_output(path) as tmp, open(tmp, "wb") as stream:
        try:
            yield stream
        except OSError:
            raise  # atomic_output names it
        except Exception as error:
            refused = refused_write(error)
            if refused is None:
                raise
            raise _output_error(Path(path), refused) from error


def sha256_of(path: str | os.PathLike) -> str:
    """The hex sha256 of a file's bytes, read in blocks (feature files run to gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json_atomic(path: str | os.PathLike, payload: Any) -> None:
    """Write ``payload`` as indented JSON, atomically."""
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
