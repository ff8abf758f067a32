"""A multiprocessing context whose processes cannot start, for the helper processes' fallbacks."""

from __future__ import annotations

import multiprocessing
from typing import Any


def refusing_contexts() -> tuple[type, list[Any]]:
    """A stand-in for ``multiprocessing.get_context``, and the list of every Pipe end it made: its
    contexts are the real ones except that a Process's ``start`` fails as a system out of processes does."""
    real_context = multiprocessing.get_context
    pipe_ends: list[Any] = []

    class NoProcesses:
        def __init__(self, method: str) -> None:
            self.context = real_context(method)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.context, name)

        def Pipe(self, duplex: bool = True) -> tuple[Any, Any]:  # noqa: N802 - multiprocessing's name
            ends = self.context.Pipe(duplex)
            pipe_ends.extend(ends)
            return ends

        def Process(self, **kwargs: Any) -> Any:  # noqa: N802 - multiprocessing's name
            process = self.context.Process(**kwargs)

            def refuse() -> None:
                raise OSError(11, "Resource temporarily unavailable")

            process.start = refuse
            return process

    return NoProcesses, pipe_ends
