"""The paper's computation figures, measured on the model: trainable parameters and the
multiply-accumulates (MACs) of one score prediction, averaged over a dataset's videos.

MACs are counted by running the model under ``torch.utils.flop_counter.FlopCounterMode``, which
counts the FLOPs of matrix products and convolutions (2 per multiply-accumulate); element-wise
operations, softmax, normalisation and pooling are not counted, as in the usual MAC counters.
The count depends only on the number of steps T (the shapes), not on the feature values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from config import ModelConfig
from models.backbone import BackboneInit
from models.csta import build_csta

# GoogLeNet's ImageNet classifier: kept in the model (and in the released checkpoints) but never run.
UNUSED_PREFIXES = ("googlenet.fc.",)


@dataclass(frozen=True)
class ParameterCount:
    trainable: int  # every parameter that requires a gradient
    trainable_used: int  # without the unused GoogLeNet classifier (googlenet.fc)

    @property
    def used_in_mebi(self) -> float:
        """The reference's convention: trainable parameters without googlenet.fc, divided by 1024 * 1024."""
        return self.trainable_used / (1024 * 1024)

    def as_dict(self) -> dict:
        return {"trainable": self.trainable, "trainable_without_unused_fc": self.trainable_used,
                "trainable_without_unused_fc_over_1024x1024": self.used_in_mebi}


@dataclass(frozen=True)
class MacsPerVideo:
    n_steps: int
    macs: int


@dataclass(frozen=True)
class MacsSummary:
    videos: tuple[MacsPerVideo, ...]

    @property
    def mean(self) -> float:
        return sum(v.macs for v in self.videos) / len(self.videos)

    def as_dict(self) -> dict:
        return {"n_videos": len(self.videos), "mean_macs": self.mean, "min_macs": min(v.macs for v in self.videos),
                "max_macs": max(v.macs for v in self.videos), "videos": [vars(v) for v in self.videos]}


def count_parameters(model: nn.Module) -> ParameterCount:
    trainable = [(name, p.numel()) for name, p in model.named_parameters() if p.requires_grad]
    used = sum(n for name, n in trainable if not name.startswith(UNUSED_PREFIXES))
    return ParameterCount(sum(n for _, n in trainable), used)


@torch.no_grad()
def forward_macs(model: nn.Module, features: torch.Tensor) -> int:
    """MACs of one eval-mode forward pass (one video's score prediction).

    Args:
        features: Sized [T, feature_dim], on the model's device.
    """
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model(features)
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2


def macs_over_lengths(model: nn.Module, step_counts: Sequence[int], device: torch.device, feature_dim: int = 1024) -> MacsSummary:
    """MACs of a score prediction for each video length (zero features: the count depends on T only).

    Lengths seen before are not run again.
    """
    if not step_counts:
        raise ValueError("no videos to measure")
    if any(t < 1 for t in step_counts):
        raise ValueError(f"every video needs at least one step, got {min(step_counts)}")
    measured: dict[int, int] = {}
    for t in step_counts:
        if t not in measured:
            measured[t] = forward_macs(model, torch.zeros(t, feature_dim, device=device))
    return MacsSummary(tuple(MacsPerVideo(int(t), measured[t]) for t in step_counts))


def meta_macs(config: ModelConfig, step_counts: Sequence[int]) -> MacsSummary:
    """``macs_over_lengths`` of a variant, counted on the meta device: the shapes without the arithmetic,
    so a dataset's lengths take seconds instead of minutes (the same counts: tests/engine/evaluate/test_complexity.py)."""
    with torch.device("meta"):
        model = build_csta(BackboneInit.RANDOM, config)
    return macs_over_lengths(model, step_counts, torch.device("meta"), config.feature_dim)


def measure_csta(step_counts: Sequence[int], device: torch.device, config: ModelConfig | None = None) -> dict:
    """Parameters and MACs per score prediction of a CSTA variant (default: the released configuration),
    for these video lengths (as JSON-ready dicts; the weights change neither, so a randomly initialised
    model is used)."""
    model = build_csta(BackboneInit.RANDOM, config).to(device)
    return {"parameters": count_parameters(model).as_dict(), "macs": macs_over_lengths(model, step_counts, device).as_dict()}
