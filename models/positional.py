"""CSTA's positional encodings (reference section 3, step 5, and its ablation options FPE, RPE, LPE, CPE).

Each module adds an encoding to a map whose first axis is time, Sized [R, D] (the PGL-SUM way: the
attention map). In the Transformer way the reference hands them the input image, Sized
[1, 3, R, D], whose first axis has length 1: the table-based encodings then add their first row
(position 0) to every row, and the relative one adds zeros. That is kept as it is, because
weights trained that way expect it. The buffer and parameter names (``pe``) are the reference's.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from config import EncodingShape
from utils.errors import ProjectError


class SequenceTooLong(ProjectError):
    """A video longer than a learnt positional table."""


def sinusoid_table(first_row: int, n_rows: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """Rows ``first_row .. first_row + n_rows - 1`` of the sine/cosine table. Sized [n_rows, dim].

    Computed with the same float32 operations as the released table, so rows past the stored
    5000 continue it exactly. With dim 1 it is sin(position) alone (the reference's shape T).
    """
    position = torch.arange(first_row, first_row + n_rows).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, dim, 2) * (-math.log(base) / dim))
    table = torch.zeros(n_rows, dim)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


def _columns(shape: EncodingShape, dim: int) -> int:
    """Shape T computes one value per step, then repeats it over the ``dim`` features."""
    return dim if shape is EncodingShape.TD else 1


class FixedPositionalEncoding(nn.Module):
    """FPE: adds the sine table.

    The first ``rows`` rows are a buffer named ``pe`` because the released checkpoints carry it;
    longer inputs (the reference stops at 4999 steps, about 41 minutes) get the rows past the
    table computed on the fly from the same formula.
    """

    def __init__(self, rows: int, dim: int, shape: EncodingShape = EncodingShape.TD) -> None:
        super().__init__()
        self.columns = _columns(shape, dim)
        self.register_buffer("pe", self._table(0, rows).repeat_interleave(dim // self.columns, dim=1))

    def _table(self, first_row: int, n_rows: int) -> torch.Tensor:
        return sinusoid_table(first_row, n_rows, self.columns)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: Sized [T, dim]. Returns x plus the encoding of positions 0..T-1."""
        n_rows = x.shape[0]
        stored, dim = self.pe.shape
        if n_rows <= stored:
            return x + self.pe[:n_rows]
        extra = self._table(stored, n_rows - stored).repeat_interleave(dim // self.columns, dim=1).to(self.pe)
        return x + torch.cat([self.pe, extra], dim=0)


def relative_table(n_rows: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    """The reference's relative encoding for ``n_rows`` steps. Sized [n_rows, dim].

    Entry (i, j) is sin (even i) or cos (odd i) of (j - i + n_rows - 1) / base ** ((i + j) / (n_rows + dim));
    with an odd number of rows the last row stays zero, as in the reference. The same float32
    operations on the same gathered rows as the reference (so that the same kernels round alike),
    without its Python loops.
    """
    i = torch.arange(n_rows).unsqueeze(1).expand(n_rows, dim)
    j = torch.arange(dim).unsqueeze(0).expand(n_rows, dim)
    distance = j - i + (n_rows - 1)
    table = torch.zeros(n_rows, dim)
    even = 2 * torch.arange(n_rows // 2)
    for rows, wave in ((even, torch.sin), (even + 1, torch.cos)):
        table[rows] = wave(distance[rows] / base ** ((i[rows] + j[rows]) / (n_rows + dim)))
    return table


class RelativePositionalEncoding(nn.Module):
    """RPE: adds a table that depends on the length; no stored state, no length limit."""

    def __init__(self, dim: int, shape: EncodingShape = EncodingShape.TD) -> None:
        super().__init__()
        self.dim, self.columns = dim, _columns(shape, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        table = relative_table(x.shape[0], self.columns).repeat_interleave(self.dim // self.columns, dim=1)
        return x + table.to(x.device)  # computed on the CPU, as the reference does


class LearnablePositionalEncoding(nn.Module):
    """LPE: adds a learnt table of ``rows`` rows (one column per feature, or one for all with shape T)."""

    def __init__(self, rows: int, dim: int, shape: EncodingShape = EncodingShape.TD) -> None:
        super().__init__()
        self.pe = nn.Parameter(torch.randn(rows, _columns(shape, dim)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_rows, stored = x.shape[0], self.pe.shape[0]
        if n_rows > stored:
            raise SequenceTooLong(
                f"the learnt positional encoding (LPE) has {stored} rows and this input needs {n_rows} "
                "(one per step, plus the CLS row): a learnt table cannot be extended; use a shorter video or another encoding"
            )
        return x + self.pe[:n_rows]


class ConditionalPositionalEncoding(nn.Module):
    """CPE: adds a 3-tap convolution over time of the map itself (per feature with shape T)."""

    def __init__(self, dim: int, shape: EncodingShape = EncodingShape.TD) -> None:
        super().__init__()
        groups = dim // _columns(shape, dim)
        self.pe = nn.Conv1d(dim, dim, kernel_size=3, stride=1, padding=1, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: Sized [R, D], or the image Sized [1, 3, R, D] (its 3 channels convolved separately)."""
        batch = x.unsqueeze(0) if x.dim() == 2 else x[0]  # [N, R, D]
        encoded = self.pe(batch.permute(0, 2, 1)).permute(0, 2, 1)
        return x + (encoded.squeeze(0) if x.dim() == 2 else encoded.unsqueeze(0))
