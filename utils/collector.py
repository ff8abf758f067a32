"""Python's cyclic garbage collector kept out of a script's start-up.

Importing torch and torchvision and loading the networks leaves about 350,000 objects that the
collector tracks (generate_video.py). Python runs a full collection each time the objects that
survived earlier ones have grown by a quarter, and each walks all of them (0.24 s at the end of the
loading): on the 2-core machine six full collections took 0.65 s of a 20 s clip's 11 s full-route
run. Imports and loaded networks make next to no garbage cycles, and what they make lives as long
as the process, so: no collection while loading, then the objects made meanwhile are moved where
later collections do not walk (``gc.freeze``), and collecting goes on as before for the rest.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def loading_without_collections() -> Iterator[None]:
    """No cyclic collection inside; on the way out, everything alive is frozen out of later
    collections and the collector is on again (if it was on before)."""
    was_enabled = gc.isenabled()
    gc.collect()  # cheap before the imports; in a long-lived process, the garbage so far is not frozen with the rest
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
