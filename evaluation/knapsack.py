"""0/1 knapsack over shots, with the reference implementation's choice among equal optima."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def knapsack(capacity: int, weights: Sequence[int], values: Sequence[float]) -> list[int]:
    """Indices (ascending) of the items that maximise the total value within ``capacity``.

    The table is the textbook one (best value with items 0..i at every capacity), one numpy row at a
    time. The walk back goes from the last item to the first and takes an item only where adding it
    changed the best value at the remaining capacity, which is how the reference breaks ties; its
    float64 sums are the reference's too, so the same shots come out.

    Memory: one bool per item and capacity (a one-hour 30 fps video, 1,000 shots: about 16 MB).
    """
    if capacity < 0:
        raise ValueError(f"capacity must be >= 0, got {capacity}")
    weights = np.asarray(weights, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    if weights.shape != values.shape or weights.ndim != 1:
        raise ValueError(f"weights and values must be 1-D of one length, got {weights.shape} and {values.shape}")
    if np.any(weights < 1):
        raise ValueError("every weight must be >= 1")
    best = np.zeros(capacity + 1)
    changed = np.zeros((len(weights), capacity + 1), dtype=bool)
    for i, (weight, value) in enumerate(zip(weights, values, strict=True)):
        if weight > capacity:
            continue
        updated = best.copy()
        updated[weight:] = np.maximum(best[:capacity + 1 - weight] + value, best[weight:])
        changed[i] = updated != best
        best = updated
    chosen = []
    room = capacity
    for i in range(len(weights) - 1, -1, -1):
        if changed[i, room]:
            chosen.append(i)
            room -= int(weights[i])
    return chosen[::-1]
