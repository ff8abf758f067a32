"""Every progress bar of the project, made in one place so that a log stays readable.

On a terminal a bar redraws itself in place (tqdm as usual). When stderr is not a terminal (a log
file, a pipe, a batch job), a redrawing bar writes carriage returns and, nested, cursor-movement
escape codes into the file. There, a bar of coarse units (epochs, videos, runs: ``lines=True``)
writes one plain line per finished unit, with its postfix (an epoch's loss, tau and rho), and
never redraws; a bar of fine units (frames: ``lines=False``) writes nothing. A bar that is not
``shown`` (--quiet, a worker, a rank other than 0) writes nothing anywhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from tqdm import tqdm

# One line per unit, no bar glyphs: what a log reader needs ({postfix} starts with ", " when set).
LINE_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}{postfix}]"


class _LineBar(tqdm):
    """A tqdm that prints one finished line each time its count grows, and nothing in between."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._printed = None  # the count last printed; a line is printed when the count differs
        super().__init__(*args, **kwargs)
        self._printed = self.n  # not the starting count (a resumed run's earlier epochs were printed then)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg == "":  # close() clearing the bar: there is nothing to clear (and no "\r" to write)
            return False
        if self._printed is None or self.n == self._printed:
            return True
        self._printed = self.n
        self.fp.write(self.format_meter(**self.format_dict) + "\n")
        self.fp.flush()
        return True


# Set to 1 by a program that reads the bars from a pipe (the web page follows generate_video.py's): bars redraw as on
# a terminal, each redraw ended by a carriage return, instead of going quiet.
BARS_FOR_A_READER = "CSTA_PROGRESS_BARS"


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (stderr) is a terminal, where a bar may redraw itself (or a reader asked for bars)."""
    if os.environ.get(BARS_FOR_A_READER) == "1":
        return True
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-like stream without a terminal
        return False


def progress_bar(iterable: Iterable | None = None, *, desc: str, unit: str, total: float | None = None, shown: bool = True,
                 lines: bool = True, file: TextIO | None = None, **settings: Any) -> tqdm:
    """A progress bar for ``iterable`` (or one counted with ``update``) that redraws only on a terminal.

    Args:
        shown: False: no output at all (--quiet, a Ray worker, a rank other than 0).
        lines: when stderr is not a terminal, one plain line per unit (True: epochs, videos, runs) or
            nothing at all (False: frames, thousands of units).
        file: where the bar writes (default stderr, as tqdm).
        settings: tqdm's other keywords (initial, leave, dynamic_ncols...).
    """
    stream = sys.stderr if file is None else file
    if not shown:
        return tqdm(iterable, desc=desc, unit=unit, total=total, file=stream, disable=True, **settings)
    if is_terminal(stream):
        return tqdm(iterable, desc=desc, unit=unit, total=total, file=stream, **settings)
    if not lines:
        return tqdm(iterable, desc=desc, unit=unit, total=total, file=stream, disable=True, **settings)
    settings = {key: value for key, value in settings.items() if key not in ("dynamic_ncols", "ncols", "position", "leave")}
    return _LineBar(iterable, desc=desc, unit=unit, total=total, file=stream, bar_format=LINE_FORMAT,
                    mininterval=0, miniters=1, leave=False, **settings)  # leave=False: close() adds no empty line
