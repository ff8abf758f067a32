"""The fixed sinusoidal positional encoding of CSTA (reference section 3, step 5)."""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoid_table(first_row: int, n_rows: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """Rows ``first_row .. first_row + n_rows - 1`` of the sine/cosine table. Sized [n_rows, dim].

    Computed with the same float32 operations as the released table, so rows past the stored
    5000 continue it exactly.
    """
    position = torch.arange(first_row, first_row + n_rows).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, dim, 2) * (-math.log(base) / dim))
    table = torch.zeros(n_rows, dim)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class FixedPositionalEncoding(nn.Module):
    """Adds the sine table to a [T, dim] map.

    The first ``rows`` rows are a buffer named ``pe`` because the released checkpoints carry it;
    longer inputs (the reference stops at 4999 steps, about 41 minutes) get the rows past the
    table computed on the fly from the same formula.
    """

    def __init__(self, rows: int, dim: int) -> None:
        super().__init__()
        self.register_buffer("pe", sinusoid_table(0, rows, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: Sized [T, dim]. Returns x plus the encoding of positions 0..T-1."""
        n_rows = x.shape[0]
        stored = self.pe.shape[0]
        if n_rows <= stored:
            return x + self.pe[:n_rows]
        extra = sinusoid_table(stored, n_rows - stored, self.pe.shape[1]).to(self.pe)
        return x + torch.cat([self.pe, extra], dim=0)
