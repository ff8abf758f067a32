"""A logging handler that keeps every message, for module-scoped fixtures that read what a run said
(pytest's caplog is function-scoped, so such fixtures cannot use it)."""

from __future__ import annotations

import logging


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
