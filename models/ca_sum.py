"""CA-SUM: concentrated attention with frame uniqueness and diversity (Apostolidis et al., ACM ICMR 2022).

A reimplementation of the authors' model (github.com/e-apostolidis/CA-SUM, model/layers/): the
attribute names, parameter order and initialisation are theirs, so their released state_dicts
load unchanged (strict) and the same seed gives the same initial weights.

Attention is kept only inside non-overlapping blocks on the diagonal of the T x T attention
matrix. What a step cannot see outside its block is summarised as its dependency factor: the
attention it pays outside, weighted by how different those steps' features are. Each kept entry
(r, c) gains the dependency factor of column c, and the output layer also sees each step's
normalised attention entropy (uniqueness) and dependency factor.

One deliberate difference: the authors' model divides 0 by 0 when a step sees no step outside
its block (every video of at most ``block_size`` steps) and when T = 1 (entropy over log 1), and
returns NaN scores for such videos. Here both quantities are 0 there (no step outside, a single
choice); every score the authors' model gives as a number is unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from config import CASumConfig, MethodConfigError
from models.pgl_sum import AttentionRegressor, init_like_authors

__all__ = ["CASum", "CASumConfig", "MethodConfigError", "build_ca_sum"]


def block_mask(n_steps: int, block_size: int, device: torch.device) -> torch.Tensor:
    """1 where two steps share a diagonal block, else 0; Sized [T, T] float32 (the last block may be short)."""
    block = torch.arange(n_steps, device=device) // block_size
    return (block[:, None] == block[None, :]).float()


def normalised_entropy(energies: torch.Tensor) -> torch.Tensor:
    """Entropy of each row's softmax over log T (1 = uniform attention); Sized [T]. 0 when T = 1."""
    n_steps = energies.shape[0]
    entropy = -1.0 * (F.softmax(energies, dim=-1) * F.log_softmax(energies, dim=-1)).sum(-1)
    return entropy / math.log(n_steps) if n_steps > 1 else entropy


def dependency_factor(weights: torch.Tensor, diversity: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    """Per step, the attention it pays outside its block, averaged with the outside steps' diversity as weights.

    Args:
        weights: the softmaxed attention, Sized [T, T]; diversity: 1 - cosine similarity, Sized [T, T];
        inside: block_mask, Sized [T, T].
    Returns:
        Sized [T]; 0 for a step with nothing outside its block (the authors' code divides 0 by 0 there).
    """
    outside = 1 - inside
    diversity_outside = diversity * outside
    spread = diversity_outside.sum(-1)
    weighted = (diversity_outside * (weights * outside)).sum(-1)
    return torch.where(spread != 0, weighted / torch.where(spread != 0, spread, 1), 0)


class ConcentratedAttention(nn.Module):
    """Block-diagonal self-attention plus uniqueness and diversity (the authors' ``SelfAttention``)."""

    def __init__(self, feature_dim: int, hidden_dim: int, block_size: int) -> None:
        super().__init__()
        self.block_size = block_size
        self.Wk = nn.Linear(feature_dim, hidden_dim, bias=False)
        self.Wq = nn.Linear(feature_dim, hidden_dim, bias=False)
        self.Wv = nn.Linear(feature_dim, hidden_dim, bias=False)
        self.out = nn.Linear(hidden_dim + 2, feature_dim, bias=False)  # + entropy and dependency factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: Sized [T, feature_dim]. Returns Sized [T, feature_dim]."""
        unit = F.normalize(x, p=2, dim=1)
        diversity = 1 - unit @ unit.t()  # [T, T], cosine dissimilarity of the input features

        energies = self.Wq(x) @ self.Wk(x).t()  # [T, T], unscaled as in the authors' code
        weights = F.softmax(energies, dim=-1)
        uniqueness = F.normalize(normalised_entropy(energies), p=1, dim=-1)  # sums to 1 over the video

        inside = block_mask(x.shape[0], self.block_size, x.device)
        dependency = dependency_factor(weights, diversity, inside)  # [T]
        concentrated = weights * inside + dependency[None, :] * inside  # column c gains c's dependency factor
        characteristics = torch.stack((uniqueness, dependency)).detach().t()  # [T, 2], no gradient as theirs
        return self.out(torch.cat((concentrated @ self.Wv(x), characteristics), dim=-1))


class CASum(AttentionRegressor):
    """Scores every step of a video: concentrated attention plus the features, then a two-layer regressor."""

    def __init__(self, config: CASumConfig | None = None) -> None:
        config = config or CASumConfig()
        super().__init__(ConcentratedAttention(config.feature_dim, config.hidden_dim, config.block_size), config.feature_dim, config.dropout)
        self.config = config


def build_ca_sum(config: CASumConfig | None = None, device: torch.device | str | None = None) -> CASum:
    """A fresh CA-SUM on ``device``, initialised as its authors do: seed first for their exact weights
    (made on the CPU, moved, then initialised, as in their solver)."""
    model = CASum(config).to(device)
    init_like_authors(model)
    return model


def config_from_keys(state: Mapping[str, torch.Tensor], wanted: CASumConfig) -> CASumConfig | None:
    """The CA-SUM options whose state_dict has exactly ``state``'s keys and shapes, or None.

    The keys tell the feature and hidden widths; the block size leaves no key and is kept as ``wanted`` has it.
    """
    query = state.get("attention.Wq.weight")
    if query is None or query.dim() != 2:
        return None
    config = replace(wanted, feature_dim=query.shape[1], hidden_dim=query.shape[0])
    with torch.device("meta"):
        expected = {key: tuple(value.shape) for key, value in CASum(config).state_dict().items()}
    return config if expected == {key: tuple(value.shape) for key, value in state.items()} else None
