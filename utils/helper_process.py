"""What the run's helper processes (features.decode_ahead, summarize.picture_ahead) share: how they start."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def without_ctrl_c() -> Iterator[None]:
    """Ctrl-C ignored while a child process starts, so that the child inherits the setting (it
    survives exec, and Python keeps an inherited ignore) and a Ctrl-C during its start-up is the
    parent's alone to handle. Only the main thread may change signal handlers: elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
