"""Drawing the summary pictures in a helper process whose matplotlib is imported ahead of time.

The picture is a video's last output, and matplotlib's import and first figure take 0.3 s of it
(0.1 s once warm): 3% of a 20 s clip's exact route on the 2-core machine, on one core, at the very
end. A helper process started with the run imports matplotlib while this process imports torch
(on the other core), then draws each video's picture while this process writes the summary
video. It hands back PNG bytes; summarize.runner writes them, in the usual order, so what exists
after a failure is as without the helper.

The helper imports neither torch nor torchvision. The picture's own errors come back as
themselves; a helper that is gone (killed, out of memory) is PictureHelperGone, and the caller
draws the picture itself.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import traceback
from typing import Any

from summarize.outputs import VideoSummaryRecord, draw_picture, load_matplotlib
from utils.errors import ProjectError
from utils.helper_process import without_ctrl_c

log = logging.getLogger(__name__)

_POLL = 0.25  # seconds between checks that the helper is still there while waiting for a picture


class PictureHelperGone(ProjectError):
    """The helper process stopped before answering."""


def _serve(connection: Any) -> None:
    """The helper process: import matplotlib, then answer (number, record, note) requests with
    (number, True, PNG bytes) or (number, False, the error) until the run closes its end (or is
    gone). It then ends at once: an interpreter's teardown with matplotlib loaded takes 0.2 s, which
    the run would wait for, and this process has nothing to flush. A Ctrl-C that reaches it (where
    an ignored SIGINT is not inherited: Windows) ends it quietly; the run handles its own."""
    try:
        load_matplotlib()
        while True:
            number, record, note = connection.recv()
            try:
                reply = (number, True, draw_picture(record, note))
            except (ProjectError, OSError) as error:  # the picture's own problem: raised as such by the run
                reply = (number, False, error)
            except Exception:  # noqa: BLE001 - a bug: its traceback goes to the run, which raises it
                reply = (number, False, RuntimeError(f"drawing the picture in the helper process failed:\n{traceback.format_exc()}"))
            connection.send(reply)
    except (EOFError, OSError, KeyboardInterrupt):  # the run closed its end, or is gone
        os._exit(0)


def _lowest_priority(pid: int) -> None:
    """The helper's CPU priority lowered at once (its start-up and import included): it must not slow
    the run's own imports and the decoding helper, which the run waits for; the picture is needed
    only at the end. Where priorities cannot be set, it runs as it is."""
    setpriority = getattr(os, "setpriority", None)  # POSIX
    if setpriority is not None:
        with contextlib.suppress(OSError):
            setpriority(os.PRIO_PROCESS, pid, 19)


class PictureHelper:
    """A helper process drawing pictures: ``ask`` for one, write the video meanwhile, then take it
    with ``picture``. Close when the run is done (also on errors)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of torch's threads inherited
        self._connection, child = context.Pipe()
        self._numbers = itertools.count()
        self._untaken: int | None = None  # the last request whose answer has not been read
        self._process = context.Process(target=_serve, args=(child,), name="pictures", daemon=True)
        try:
            with without_ctrl_c():
                self._process.start()
            _lowest_priority(self._process.pid)
        except BaseException:
            self._connection.close()
            raise
        finally:
            child.close()

    def ask(self, record: VideoSummaryRecord, note: str | None = None) -> int | None:
        """Start drawing ``record``'s picture; its number for ``picture``, or None when the helper is gone.

        An answer nobody took (its video failed to be written) is read and dropped first: a helper
        blocked sending it would never read this request, and a large one would block this side too."""
        if self._connection.closed:
            return None
        if self._untaken is not None:
            with contextlib.suppress(PictureHelperGone):
                self._receive(self._untaken)
        number = next(self._numbers)
        try:
            self._connection.send((number, record, note))
        except (OSError, ValueError):  # the helper is gone, or this side was closed
            return None
        self._untaken = number
        return number

    def picture(self, number: int) -> bytes:
        """The PNG asked for as ``number`` (answers to earlier requests nobody took are dropped).

        Raises:
            PictureHelperGone: the helper stopped before answering.
            the picture's own error, as draw_picture in this process would raise it.
        """
        ok, value = self._receive(number)
        if not ok:
            raise value
        return value

    def _receive(self, number: int) -> tuple[bool, Any]:
        """The answer to request ``number``: (True, PNG bytes) or (False, the error)."""
        while True:
            while not self._connection.poll(_POLL):
                if not self._process.is_alive() and not self._connection.poll(0):
                    raise self._gone()
            try:
                answered, ok, value = self._connection.recv()
            except (EOFError, OSError, ValueError) as error:  # the helper's end closed (it is gone), or ours was
                raise self._gone() from error
            if answered == number:
                self._untaken = None
                return ok, value

    def _gone(self) -> PictureHelperGone:
        self._process.join(timeout=5)
        return PictureHelperGone(f"the process drawing pictures stopped (exit code {self._process.exitcode})")

    def close(self) -> None:
        """Stop the helper: closing this end ends it, whether it waits for a request or is sending an
        answer nobody will take. Safe to call twice."""
        if self._connection.closed:
            return
        self._connection.close()
        try:
            self._process.join(timeout=5)
        finally:
            if self._process.is_alive():
                self._process.kill()
                self._process.join()

    def __enter__(self) -> PictureHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_picture_helper() -> PictureHelper | None:
    """A PictureHelper; None, after saying why, where no process can start (pictures are then drawn here)."""
    try:
        return PictureHelper()
    except (OSError, ImportError) as error:
        log.info("drawing pictures in this process: no helper process (%s)", error)
        return None


def draw(pictures: PictureHelper | None, number: int | None, record: VideoSummaryRecord, note: str | None) -> bytes:
    """The picture asked of ``pictures`` as ``number``, or drawn here when there is no helper or it is gone."""
    if pictures is not None and number is not None:
        try:
            return pictures.picture(number)
        except PictureHelperGone as error:
            log.warning("%s; drawing the picture in this process", error)
    return draw_picture(record, note)
