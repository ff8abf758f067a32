"""Leaving a script without the interpreter's teardown.

Once torch, torchvision and scipy are loaded, Python's normal exit spends 0.4-1.2 s (measured on
this project's 2-core CPU; bench/README.md) clearing modules and destroying objects nobody will
use again: a tenth of a whole evaluation. The scripts' work ends with every output written
atomically and closed, so nothing is left to clean up but what the exit handlers do; those still
run here, then the process ends at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading

EXIT_INTERRUPTED = 130  # what a shell reports for a command stopped by Ctrl-C (128 + SIGINT); every script returns it
EXIT_TERMINATED = 143  # what a shell reports for a command stopped by SIGTERM (128 + SIGTERM): kill, a scheduler, torchrun


def exit_now(code: int | None) -> None:
    """End the process with ``code`` (None: 0) like sys.exit, skipping the interpreter's teardown.

    Log handlers, the standard streams and the registered exit handlers (Ray's shutdown,
    temporary folders' removal, ...) are flushed and run first. With a non-daemon thread still
    running it falls back to sys.exit, which waits for it as usual (daemon threads, such as
    tqdm's monitor, are never waited for).
    """
    if any(thread.is_alive() and not thread.daemon for thread in threading.enumerate() if thread is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()  # what the normal exit would run first (logging.shutdown is one of them)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(0 if code is None else code)
