"""Reading a whole number from text with bounds, the one rule behind every such flag and option.

Standard library only: the command line (cli/options.whole_number, which turns the refusal into an
argparse usage error), the methods' declared options (models/methods.py) and torchrun's environment
(engine/scale/launch.py) all read whole numbers through it before torch is imported.
"""

from __future__ import annotations

from collections.abc import Callable


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """A parser of integers in [low, high] (no upper bound when ``high`` is None).

    The parser raises ValueError("expected a whole number of at least 1, got 'x'") for anything else.
    """
    bounds = f"of at least {low}" if high is None else f"from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise ValueError(f"expected a whole number {bounds}, got {text!r}")
        return value

    return parse
