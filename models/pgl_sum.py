"""PGL-SUM: global and local multi-head attention with positional encoding (Apostolidis et al., IEEE ISM 2021).

A reimplementation of the authors' model (github.com/e-apostolidis/PGL-SUM, model/layers/): the
attribute names, the order in which parameters are registered and the initialisation are theirs,
so their released state_dicts load unchanged (strict) and a model seeded like theirs starts from
the same weights. Their defaults (model/configs.py, and inference.py's "paper configuration") are
this module's: 8 global heads, 4 segments with 4 local heads each, additive fusion, absolute
positional encoding.

The authors compute per head and per segment in loops; this module keeps those loops, because the
dropout masks are drawn per head and per segment and a different grouping would draw different
masks from the same seed.

One difference, on inputs the authors' code cannot take: with a positional encoding, their code
raises IndexError when an attention sees fewer than 2 steps (its index lists are then empty float
tensors): a 1-step video, or a segment of 0 or 1 steps, which the ceil(T / segments)-sized segments
give for some short videos (T = 2, 3, 5, 7 with 4 segments; T = 41 with 8). Here such videos are
scored. Every score their model does give is the same here (bench/bench_baselines_vs_official.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from config import Fusion, MethodConfigError, PGLSumConfig
from config import PGLPositionalEncoding as PositionalEncoding

__all__ = ["AttentionRegressor", "Fusion", "MethodConfigError", "PGLSum", "PGLSumConfig", "PositionalEncoding", "build_pgl_sum",
           "init_like_authors"]


def absolute_positions(n_steps: int, dim: int, frequency: int, device: torch.device) -> torch.Tensor:
    """The authors' absolute encoding, Sized [T, T]: entry (p, 2k) = sin(p / f^(2k/dim)), (p, 2k+1) = cos(same).

    As in their code the table is square (it is added to the T x T energies, so "features" are the
    key steps) and, for odd T, its last column stays zero.
    """
    table = torch.zeros(n_steps, n_steps, device=device)
    half = n_steps // 2
    position = torch.arange(n_steps, device=device)[:, None].expand(n_steps, half)
    pair = torch.arange(half, device=device)[None, :].expand(n_steps, half)
    angle = position / frequency ** ((2 * pair) / dim)  # float32, the authors' operation order
    table[:, 0 : 2 * half : 2] = torch.sin(angle)
    table[:, 1 : 2 * half : 2] = torch.cos(angle)
    return table


def relative_positions(n_steps: int, frequency: int, device: torch.device) -> torch.Tensor:
    """The authors' relative encoding, Sized [T, T]: entry (r, c) = sin or cos (even or odd c) of
    (c - r + T - 1) / f^((r + c) / 2T); for odd T the last column stays zero."""
    table = torch.zeros(n_steps, n_steps, device=device)
    half = n_steps // 2
    row = torch.arange(n_steps, device=device)[:, None]
    for parity, wave in ((0, torch.sin), (1, torch.cos)):
        column = (parity + 2 * torch.arange(half, device=device))[None, :]
        offset = (column - row + (n_steps - 1)).expand(n_steps, half)
        table[:, parity : 2 * half : 2] = wave(offset / frequency ** ((row + column) / (2 * n_steps)))
    return table


class HeadedSelfAttention(nn.Module):
    """Multi-head self-attention over all the steps it is given, positions added to the energies
    (the authors' ``SelfAttention``; attribute names are their state_dict keys)."""

    def __init__(self, feature_dim: int, hidden_dim: int, heads: int, positional_encoding: PositionalEncoding | None,
                 frequency: int, dropout: float) -> None:
        super().__init__()
        self.positional_encoding = positional_encoding
        self.frequency = frequency
        self.feature_dim = feature_dim
        self.Wk, self.Wq, self.Wv = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for _ in range(heads):  # created head by head (k, q, v) as theirs, so a seed draws the same default init
            for projections in (self.Wk, self.Wq, self.Wv):
                projections.append(nn.Linear(feature_dim, hidden_dim // heads, bias=False))
        self.out = nn.Linear(hidden_dim, feature_dim, bias=False)
        self.drop = nn.Dropout(p=dropout)

    def positions(self, n_steps: int, device: torch.device) -> torch.Tensor | None:
        if self.positional_encoding is PositionalEncoding.ABSOLUTE:
            return absolute_positions(n_steps, self.feature_dim, self.frequency, device)
        if self.positional_encoding is PositionalEncoding.RELATIVE:
            return relative_positions(n_steps, self.frequency, device)
        return None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: Sized [T, feature_dim] (T may be 0: an empty segment). Returns Sized [T, feature_dim]."""
        positions = self.positions(x.shape[0], x.device)
        outputs = []
        for key, query, value in zip(self.Wk, self.Wq, self.Wv, strict=True):
            energies = query(x) @ key(x).t()  # [T, T], unscaled as in the authors' code
            if positions is not None:
                energies = energies + positions
            weights = self.drop(F.softmax(energies, dim=-1))
            outputs.append(weights @ value(x))
        return self.out(torch.cat(outputs, dim=1))


class GlobalLocalAttention(nn.Module):
    """Global attention over the whole video, fused per segment with a local attention over that
    segment (the authors' ``MultiAttention``)."""

    def __init__(self, config: PGLSumConfig) -> None:
        super().__init__()
        c = config
        self.attention = HeadedSelfAttention(c.feature_dim, c.hidden_dim, c.heads, c.positional_encoding, c.frequency, c.dropout)
        self.num_segments = c.num_segments
        self.fusion = c.fusion
        if c.num_segments is not None:
            self.local_attention = nn.ModuleList(
                HeadedSelfAttention(c.feature_dim, c.hidden_dim // c.num_segments, c.local_heads, c.positional_encoding,
                                    c.frequency, c.dropout)
                for _ in range(c.num_segments)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: Sized [T, feature_dim]. Returns Sized [T, feature_dim]."""
        weighted = self.attention(x)
        if self.num_segments is None or self.fusion is None:
            return weighted
        # ceil, so the last segments may be short or empty (T < num_segments); their positions restart at 0
        size = math.ceil(x.shape[0] / self.num_segments)
        pieces = []
        for index, local_attention in enumerate(self.local_attention):
            part = slice(index * size, (index + 1) * size)
            local = F.normalize(local_attention(x[part]), p=2, dim=1)
            whole = F.normalize(weighted[part], p=2, dim=1)
            if self.fusion is Fusion.ADD:
                pieces.append(whole + local)
            elif self.fusion is Fusion.MULT:
                pieces.append(whole * local)
            elif self.fusion is Fusion.AVG:
                pieces.append((whole + local) / 2)
            else:
                pieces.append(torch.max(whole, local))
        return torch.cat(pieces, dim=0)


class AttentionRegressor(nn.Module):
    """The authors' scoring model shared by PGL-SUM and CA-SUM: the attention module's output added to
    the features, then a two-layer regressor with dropout and LayerNorms (their attribute names,
    registered in their order, so that one seed gives their initial weights)."""

    def __init__(self, attention: nn.Module, dim: int, dropout: float) -> None:
        super().__init__()
        self.attention = attention
        self.linear_1 = nn.Linear(dim, dim)
        self.linear_2 = nn.Linear(dim, 1)
        self.drop = nn.Dropout(p=dropout)
        self.norm_y = nn.LayerNorm(dim, eps=1e-6)
        self.norm_linear = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """features: Sized [T, feature_dim]. Returns step scores in (0, 1), Sized [T]."""
        y = self.attention(features) + features
        y = self.norm_y(self.drop(y))
        y = self.norm_linear(self.drop(torch.relu(self.linear_1(y))))
        return torch.sigmoid(self.linear_2(y)).view(-1)


class PGLSum(AttentionRegressor):
    """Scores every step of a video: global and local attention plus the features, then a two-layer regressor."""

    def __init__(self, config: PGLSumConfig | None = None) -> None:
        config = config or PGLSumConfig()
        super().__init__(GlobalLocalAttention(config), config.feature_dim, config.dropout)
        self.config = config


def init_like_authors(model: nn.Module) -> None:
    """The authors' initialisation (their Solver.init_weights with init_type 'xavier', shared by PGL-SUM and CA-SUM).

    Every parameter named '...weight...' outside a LayerNorm: Xavier-uniform with gain sqrt(2); every
    '...bias...' (LayerNorm biases included, as their name test does): 0.1. LayerNorm weights keep 1.
    Parameters are visited in registration order, so the same seed gives the authors' weights.
    """
    for name, parameter in model.named_parameters():
        if "weight" in name and "norm" not in name:
            nn.init.xavier_uniform_(parameter, gain=math.sqrt(2.0))
        elif "bias" in name:
            nn.init.constant_(parameter, 0.1)


def build_pgl_sum(config: PGLSumConfig | None = None, device: torch.device | str | None = None) -> PGLSum:
    """A fresh PGL-SUM on ``device``, initialised as its authors do: seed first for their exact weights.

    As in their solver, the layers are made on the CPU, moved, then initialised, so on a GPU the
    initial weights come from that GPU's generator, as theirs did.
    """
    model = PGLSum(config).to(device)
    init_like_authors(model)
    return model


def _head_keys(state: Mapping[str, torch.Tensor], prefix: str) -> list[torch.Tensor]:
    """The key projections of an attention's heads, in order (``prefix``.Wk.0.weight, .1, ...)."""
    found: list[torch.Tensor] = []
    while f"{prefix}.Wk.{len(found)}.weight" in state:
        found.append(state[f"{prefix}.Wk.{len(found)}.weight"])
    return found


def config_from_keys(state: Mapping[str, torch.Tensor], wanted: PGLSumConfig) -> PGLSumConfig | None:
    """The PGL-SUM options whose state_dict has exactly ``state``'s keys and shapes, or None.

    The keys tell the widths, the global heads, the number of segments and the local heads; the
    fusion, the positional encoding and the frequency leave no key and are kept as ``wanted`` has them.
    """
    global_heads = _head_keys(state, "attention.attention")
    if not global_heads or any(weight.dim() != 2 for weight in global_heads):
        return None
    segments = sum(1 for key in state if re.fullmatch(r"attention\.local_attention\.\d+\.out\.weight", key))
    local_heads = len(_head_keys(state, "attention.local_attention.0")) if segments else wanted.local_heads
    try:
        config = replace(wanted, feature_dim=global_heads[0].shape[-1], hidden_dim=sum(w.shape[0] for w in global_heads),
                         heads=len(global_heads), num_segments=segments or None, local_heads=local_heads)
    except MethodConfigError:
        return None
    with torch.device("meta"):
        expected = {key: tuple(value.shape) for key, value in PGLSum(config).state_dict().items()}
    return config if expected == {key: tuple(value.shape) for key, value in state.items()} else None
