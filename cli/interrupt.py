"""Ctrl-C, answered the same way by every script: one line saying what the run kept and how to go on, exit status 130.
SIGTERM (kill, a job scheduler, torchrun stopping its workers) the same way, with status 143: without a handler Python
dies at once, leaving lock files and temporary files behind; as an exception it unwinds, and they go.

A KeyboardInterrupt left to Python prints 40-60 lines of traceback through torch's frames and hides
what matters: every output is written whole or not at all (atomic writes, checkpoints replaced after
each epoch), so an interrupted run loses nothing but the epoch or video in progress, and the same
command continues it. Standard library, engine/scale/launch.py and utils/exit.py only, so a script's ``--help``
still answers before torch loads.
"""

from __future__ import annotations

import argparse
import functools
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from engine.scale.launch import LaunchError, current_launch
from utils.exit import EXIT_INTERRUPTED, EXIT_TERMINATED

Main = Callable[[argparse.Namespace], int]

log = logging.getLogger("interrupt")


def _says_the_line() -> bool:
    """Whether this process speaks for the job: Ctrl-C reaches every torchrun rank at once, and one line is enough."""
    try:
        return current_launch().is_main
    except LaunchError:  # a broken torchrun environment: main refuses it anyway; say the line rather than nothing
        return True


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the work is as Ctrl-C's KeyboardInterrupt is, so that the same unwinding cleans up."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def take_sigterm_as_interrupt() -> None:
    """For a script that answers Ctrl-C itself (generate_video.py, app.py): SIGTERM raises Terminated, a
    KeyboardInterrupt, from here on, so a plain kill unwinds as Ctrl-C does. Call it from the main thread."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def stops_on_interrupt(kept: Callable[[argparse.Namespace], str]) -> Callable[[Main], Main]:
    """Decorate a script's ``main(args)`` so that Ctrl-C ends it with one line and EXIT_INTERRUPTED, no traceback.

    ``kept(args)``: what the interrupted run leaves behind and how to continue, said after "interrupted: ".
    The line comes once the interrupted frames are gone, so the progress bars they held are closed
    above it and it is the last thing printed. Under torchrun only rank 0 says it; every rank returns 130.
    """
    def decorate(main: Main) -> Main:
        @functools.wraps(main)
        def run(args: argparse.Namespace) -> int:
            here = threading.current_thread() is threading.main_thread()  # only the main thread may take signals
            previous = signal.signal(signal.SIGTERM, _raise_terminated) if here else None
            try:
                return main(args)
            except KeyboardInterrupt as stop:  # each output in progress removed its temporary file on the way out
                status = EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
            finally:
                if here:
                    signal.signal(signal.SIGTERM, previous)
            if _says_the_line():
                log.error("%s: %s", "terminated (SIGTERM)" if status == EXIT_TERMINATED else "interrupted", kept(args))
            return status

        return run

    return decorate
