"""The paper's computation figures, measured on the model: trainable parameters and the
multiply-accumulates (MACs) of one score prediction, averaged over a dataset's videos.

MACs are counted by running the model under ``torch.utils.flop_counter.FlopCounterMode``, which
counts the FLOPs of matrix products and convolutions (2 per multiply-accumulate); element-wise
operations, softmax, normalisation and pooling are not counted, as in the usual MAC counters.
The count depends only on the number of steps T (the shapes), not on the feature values.

Every method is measured as the registry builds it (``models.methods.MethodSpec.build``). A model
that samples its scores by iterated denoising (SummDiff) exposes the two calls its prediction is
made of, ``encode`` (once per video) and ``denoise`` (per sampling step: twice with classifier-free
guidance, conditional and unconditional); its MACs are counted in one run of the whole prediction
with each call's share read off the counter, so the figure per video is the measured total and
the split into encoder and steps is a reading of the same count, not an estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from models.backbone import BackboneInit
from models.csta import build_csta
from models.methods import method_spec
from utils.errors import ProjectError

# GoogLeNet's ImageNet classifier: kept in the model (and in the released checkpoints) but never run.
UNUSED_PREFIXES = ("googlenet.fc.",)
# The calls of a model that samples its scores: the condition encoder once, then the denoiser at every step.
SAMPLED_CALLS = ("encode", "denoise")


class ComplexityError(ProjectError, ValueError):
    """A measurement that cannot be made: no videos, a video without steps, or a sampled model whose calls do not
    add up to its steps (the message says which)."""


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
class SamplingMacs:
    """How one sampled prediction's MACs split: encoder + samples x steps x (calls per step x one denoiser call)."""

    encoder: int  # the condition encoder's one pass (with guidance, over the video and the null video together)
    denoiser_call: int  # one call of the denoiser (its score head included)
    denoiser_calls: int  # calls in the whole prediction
    sampling_steps: int  # DDIM steps per sample
    samples: int  # chains drawn and averaged

    def __post_init__(self) -> None:
        if self.denoiser_calls % (self.sampling_steps * self.samples):
            raise ComplexityError(f"{self.denoiser_calls} denoiser calls do not divide into {self.samples} sample(s) x "
                                  f"{self.sampling_steps} step(s): the model's sampling is not one encoder pass then whole steps")

    @property
    def calls_per_step(self) -> int:
        """1 without guidance, 2 with it (conditional and unconditional)."""
        return self.denoiser_calls // (self.sampling_steps * self.samples)

    @property
    def per_step(self) -> int:
        return self.calls_per_step * self.denoiser_call

    @property
    def composed(self) -> int:
        """encoder + samples x steps x per step: what the prediction's count must equal."""
        return self.encoder + self.samples * self.sampling_steps * self.per_step

    def as_dict(self) -> dict:
        return {"encoder_macs": self.encoder, "macs_per_step": self.per_step, "denoiser_call_macs": self.denoiser_call,
                "denoiser_calls_per_step": self.calls_per_step, "sampling_steps": self.sampling_steps, "samples": self.samples}


@dataclass(frozen=True)
class MacsPerVideo:
    n_steps: int
    macs: int
    sampling: SamplingMacs | None = None  # the split of a sampled prediction; None for a single forward pass

    def as_dict(self) -> dict:
        values = {"n_steps": self.n_steps, "macs": self.macs}
        return values if self.sampling is None else {**values, **self.sampling.as_dict()}


@dataclass(frozen=True)
class MacsSummary:
    videos: tuple[MacsPerVideo, ...]

    @property
    def mean(self) -> float:
        return sum(v.macs for v in self.videos) / len(self.videos)

    def as_dict(self) -> dict:
        values = {"n_videos": len(self.videos), "mean_macs": self.mean, "min_macs": min(v.macs for v in self.videos),
                  "max_macs": max(v.macs for v in self.videos), "videos": [v.as_dict() for v in self.videos]}
        sampled = [v.sampling for v in self.videos if v.sampling is not None]
        if sampled:  # steps, samples and calls per step are the options', the same for every video
            first, n = sampled[0], len(sampled)
            values["sampling"] = {
                "composition": "macs = encoder_macs + samples x sampling_steps x macs_per_step; "
                               "macs_per_step = denoiser_calls_per_step x denoiser_call_macs",
                "sampling_steps": first.sampling_steps, "samples": first.samples, "denoiser_calls_per_step": first.calls_per_step,
                "mean_encoder_macs": sum(s.encoder for s in sampled) / n, "mean_macs_per_step": sum(s.per_step for s in sampled) / n,
                "mean_denoiser_call_macs": sum(s.denoiser_call for s in sampled) / n,
            }
        return values


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


def is_sampled(model: nn.Module) -> bool:
    """True for a model whose prediction is one encoder pass and denoiser calls per sampling step (SAMPLED_CALLS)."""
    return all(callable(getattr(model, name, None)) for name in SAMPLED_CALLS) and hasattr(getattr(model, "config", None), "sampling_steps")


@contextmanager
def _call_shares(model: nn.Module, counter: FlopCounterMode, name: str, shares: list[int]) -> Iterator[None]:
    """While open, every call of ``model.<name>`` appends the MACs the counter saw during it to ``shares``."""
    original: Callable[..., Any] = getattr(model, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        before = counter.get_total_flops()
        result = original(*args, **kwargs)
        shares.append((counter.get_total_flops() - before) // 2)
        return result

    setattr(model, name, counted)  # an instance attribute: the model's own calls (self.encode, ...) go through it
    try:
        yield
    finally:
        delattr(model, name)


@torch.no_grad()
def sampled_macs(model: nn.Module, features: torch.Tensor) -> MacsPerVideo:
    """MACs of one eval-mode sampled prediction, with the encoder's and each denoiser call's share (see SamplingMacs).

    Args:
        features: Sized [T, feature_dim], on the model's device.

    Raises:
        ComplexityError: the calls do not add up (no single encoder pass, or denoiser calls not whole steps).
    """
    encoder: list[int] = []
    denoiser: list[int] = []
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter, _call_shares(model, counter, "encode", encoder), \
                _call_shares(model, counter, "denoise", denoiser):
            model(features)
    finally:
        model.train(was_training)
    total = counter.get_total_flops() // 2
    if len(encoder) != 1 or not denoiser or len(set(denoiser)) != 1:
        raise ComplexityError(f"{type(model).__name__}: expected one encoder pass and denoiser calls of one size, counted "
                              f"{len(encoder)} encoder pass(es) and denoiser calls of {sorted(set(denoiser))} MACs")
    split = SamplingMacs(encoder[0], denoiser[0], len(denoiser), model.config.sampling_steps, model.config.samples)
    if split.composed != total:
        raise ComplexityError(f"{type(model).__name__}: {total} MACs counted, but the encoder and the steps make {split.composed}: "
                              "some of the prediction runs outside its encoder and denoiser calls")
    return MacsPerVideo(int(features.shape[0]), total, split)


def macs_over_lengths(model: nn.Module, step_counts: Sequence[int], device: torch.device, feature_dim: int = 1024) -> MacsSummary:
    """MACs of a score prediction for each video length (zero features: the count depends on T only).

    Lengths seen before are not run again. A sampled model (is_sampled) is split into encoder and steps.
    """
    if not step_counts:
        raise ComplexityError("no videos to measure")
    if any(t < 1 for t in step_counts):
        raise ComplexityError(f"every video needs at least one step, got {min(step_counts)}")
    measured: dict[int, MacsPerVideo] = {}
    for t in step_counts:
        if t not in measured:
            features = torch.zeros(t, feature_dim, device=device)
            measured[t] = sampled_macs(model, features) if is_sampled(model) else MacsPerVideo(int(t), forward_macs(model, features))
    return MacsSummary(tuple(measured[t] for t in step_counts))


def build_for_count(method: str, config: Any = None, device: torch.device | str | None = None) -> nn.Module:
    """The model of ``method`` with options ``config`` (None: its authors' defaults) as the registry builds it,
    randomly initialised (weights change neither count).

    Raises:
        UnknownMethod: ``method`` is not in models.methods.METHODS.
        MethodConfigError: ``config`` is not that method's options.
    """
    return method_spec(method).build(config, None, device)


def meta_macs(config: Any, step_counts: Sequence[int], method: str | None = None) -> MacsSummary:
    """``macs_over_lengths`` of a variant, counted on the meta device: the shapes without the arithmetic,
    so a dataset's lengths take seconds instead of minutes (the same counts: tests/engine/evaluate/test_complexity.py).

    Args:
        method: the method ``config`` belongs to; None: CSTA (``config`` a ModelConfig), as before methods existed.
    """
    with torch.device("meta"):
        model = build_csta(BackboneInit.RANDOM, config) if method is None else build_for_count(method, config)
    return macs_over_lengths(model, step_counts, torch.device("meta"), config.feature_dim)


def measure_method(method: str, step_counts: Sequence[int], device: torch.device, config: Any = None) -> dict:
    """Parameters and MACs per score prediction of ``method`` with options ``config`` (None: its authors' defaults),
    for these video lengths, as JSON-ready dicts; a sampled model's MACs also per sampling step and for its encoder."""
    config = method_spec(method).default_config() if config is None else config
    model = build_for_count(method, config, device)
    feature_dim = config.feature_dim
    return {"method": method, "parameters": count_parameters(model).as_dict(),
            "macs": macs_over_lengths(model, step_counts, device, feature_dim).as_dict()}
