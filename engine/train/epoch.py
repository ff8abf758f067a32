"""The parts of a training epoch that differ between methods, driven by a models.methods.MethodSpec.

One loop serves every method: the videos are ordered as the method's authors order them, the
gradients of ``videos_per_step`` videos are summed (each video's loss backpropagated on its own,
not averaged) before the norm is clipped and one optimiser step is taken, and the videos left over
after the last full step sit the epoch out, as in the PGL-SUM and CA-SUM solvers. With one video
per step and no clipping this is CSTA's loop. Under torchrun (engine/scale/torchrun.py) each process
runs this loop on its share of every step, its gradients joined to the others' as a
GradientExchange says.
"""

from __future__ import annotations

import abc
import contextlib
import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn
from torch.utils.data import DataLoader

from models.methods import EpochRule, Loss, LossAverage, Shuffle, StepLoss, retained_epochs, select_epoch
from utils.errors import ProjectError


class TrainingVideo(Protocol):
    features: torch.Tensor  # Sized [T, 1024], on the model's device
    gtscore: torch.Tensor  # Sized [T]


class VideoStream(abc.ABC):
    """Training videos read as they are needed, in the order an epoch asks for, instead of a list
    held in memory (a large data set such as VideoXum: see sources/videoxum/data.py)."""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def in_order(self, order: Sequence[int]) -> Iterator[TrainingVideo]:
        """The videos ``order`` names, one after the other, ready for the model."""


class TooFewTrainingVideos(ProjectError, ValueError):
    """Fewer training videos than one optimiser step takes: the authors' loop would never step."""


@dataclass(frozen=True)
class EpochSteps:
    """How one epoch steps through the training videos; the defaults are CSTA's loop (one video per step)."""

    loss: Loss = Loss.GTSCORE_MSE
    videos_per_step: int = 1
    grad_clip_norm: float | None = None
    shuffle: Shuffle = Shuffle.RANDPERM
    length_factor: float | None = None  # CA-SUM's sigma
    loss_average: LossAverage = LossAverage.PYTHON_FLOAT
    step_loss: StepLoss = StepLoss.SUM
    partial_step: bool = False


@dataclass(frozen=True)
class GradientExchange:
    """How this process's gradients of a step join other processes' (engine/scale/torchrun.py); the default
    is a lone process's: nothing to join, each video's loss backpropagated as it is."""

    loss_scale: float = 1.0  # each video's loss is multiplied by this before its backward pass (the losses returned are not)
    # entered around the forward and backward pass of every video of a step but its last (DDP's no_sync), so the
    # processes exchange their gradients once per step, after the last
    hold: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext
    # the sum of a number over the processes (a step's time steps, which weigh its videos' losses): a lone process's own
    combine: Callable[[float], float] = float


def epoch_order(shuffle: Shuffle, n_videos: int) -> list[int]:
    """This epoch's order of the training videos, drawn from torch's global generator."""
    if shuffle is Shuffle.RANDPERM:
        return torch.randperm(n_videos).tolist()
    # a shuffled DataLoader draws a base seed when iterated and its sampler's seed at the first item
    return [int(index) for index in DataLoader(range(n_videos), batch_size=None, shuffle=True)]


def video_loss(model: nn.Module, loss: Loss | Callable[[torch.Tensor, torch.Tensor | None, float | None], torch.Tensor],
               video: TrainingVideo, length_factor: float | None) -> torch.Tensor:
    """The loss of one training video: the loss of the model's scores, or, for a model that noises its own targets
    (Loss.DENOISING), the loss the model returns given them."""
    if isinstance(loss, Loss) and loss.model_takes_targets:
        return model(video.features, video.gtscore)
    return loss(model(video.features), video.gtscore, length_factor)


def train_epoch_accumulated(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    videos: Sequence[TrainingVideo] | VideoStream,
    loss: Loss | Callable[[torch.Tensor, torch.Tensor | None, float | None], torch.Tensor],
    videos_per_step: int,
    grad_clip_norm: float | None = None,
    length_factor: float | None = None,
    order: Sequence[int] | None = None,
    loss_average: LossAverage = LossAverage.FLOAT32,
    exchange: GradientExchange = GradientExchange(),
    step_loss: StepLoss = StepLoss.SUM,
    partial_step: bool = False,
    sizes: Sequence[int] | None = None,
) -> float:
    """One epoch: len(videos) // videos_per_step optimiser steps on summed per-video gradients.

    Args:
        videos: held in memory (indexed), or a VideoStream (read in the epoch's order as they are used).
        loss: the method's loss; called with (scores, gtscore, length_factor) per video.
        order: the videos' order (default: torch.randperm, CSTA's loop); see epoch_order.
        loss_average: how the per-video losses are averaged (float32 as the authors' solvers do).
        exchange: how the gradients join other processes' (a torchrun rank's share of each step).
        step_loss: SUM backpropagates each video's loss as it is; LENGTH_WEIGHTED_MEAN weighs it by the video's share
            of the step's time steps (SummDiff's masked mean over a padded batch).
        partial_step: the videos left over after the last full step make one more step (a DataLoader keeping its
            last batch) instead of sitting the epoch out.
        sizes: this process's videos in each step, when a torchrun rank's share says so (its share of a last, smaller
            step may be 0: it then joins the step's gradient exchange with a zero-weighted pass of its previous video).

    Returns:
        The mean loss of the videos used (LENGTH_WEIGHTED_MEAN: the mean of the steps' weighted losses).
    """
    if sizes is None:
        sizes = [videos_per_step] * (len(videos) // videos_per_step)
        if partial_step and len(videos) % videos_per_step:
            sizes.append(len(videos) % videos_per_step)
    steps = len(sizes)
    if steps == 0:
        raise TooFewTrainingVideos(
            f"{len(videos)} training videos cannot fill one optimiser step of {videos_per_step} videos "
            f"(the authors' loop would never update the model); ask for at most {len(videos)} videos per step"
        )
    order = list(torch.randperm(len(videos)).tolist() if order is None else order)
    used = order[: sum(sizes)]  # without partial steps, the videos left over sit the epoch out
    stream = videos.in_order(used) if isinstance(videos, VideoStream) else (videos[index] for index in used)
    model.train()
    losses = []
    previous = None
    for size in sizes:
        optimizer.zero_grad()
        step_videos = [next(stream) for _ in range(size)]
        weights = [1.0] * size
        if step_loss is StepLoss.LENGTH_WEIGHTED_MEAN:
            total = exchange.combine(sum(len(video.gtscore) for video in step_videos))
            weights = [len(video.gtscore) / total for video in step_videos]
        if not step_videos:  # a rank with no video in a last, smaller step still joins its gradient exchange
            step_videos, weights, size = [previous], [0.0], 1
        previous = step_videos[-1]
        step_total = None
        for index, (video, weight) in enumerate(zip(step_videos, weights, strict=True)):
            with exchange.hold() if index < size - 1 else contextlib.nullcontext():
                value = video_loss(model, loss, video, length_factor)
                scale = exchange.loss_scale * weight
                (value if scale == 1 else value * scale).backward()
            if step_loss is StepLoss.SUM:
                losses.append(value.detach())
            else:
                step_total = value.detach() * weight if step_total is None else step_total + value.detach() * weight
        if step_total is not None:
            losses.append(step_total)
        if grad_clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip_norm)
        optimizer.step()
    if loss_average is LossAverage.PYTHON_FLOAT:
        return sum(value.item() for value in losses) / len(losses)
    return torch.stack(losses).mean().item()


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, videos: Sequence[TrainingVideo] | VideoStream,
                steps: EpochSteps = EpochSteps()) -> float:
    """One epoch as ``steps`` says, in the order its shuffle draws; the mean loss of the videos used.

    With the default steps this is CSTA's loop: a torch.randperm order, one optimiser step per video.
    """
    order = epoch_order(steps.shuffle, len(videos))
    return train_epoch_accumulated(model, optimizer, videos, steps.loss, steps.videos_per_step, steps.grad_clip_norm,
                                   steps.length_factor, order, steps.loss_average, step_loss=steps.step_loss,
                                   partial_step=steps.partial_step)


class RuleKeeper:
    """Keeps the weights of the epochs an epoch rule may still choose (at most three), then the chosen one.

    Offer every epoch in order; ``chosen()`` at the end gives the rule's epoch and its weights.
    """

    def __init__(self, rule: EpochRule) -> None:
        self.rule = rule
        self.losses: list[float] = []
        self.kendalls: list[float] = []
        self.spearmans: list[float] = []
        self.states: dict[int, dict[str, torch.Tensor]] = {}

    def offer(self, model: nn.Module, loss: float, kendall: float = float("nan"), spearman: float = float("nan")) -> bool:
        """Record the epoch just trained; returns whether its weights are (for now) kept."""
        self.losses.append(loss)
        self.kendalls.append(kendall)
        self.spearmans.append(spearman)
        epoch = len(self.losses)
        keep = retained_epochs(self.rule, self.losses, self.kendalls, self.spearmans)
        if epoch in keep:
            self.states[epoch] = {key: copy.deepcopy(value.detach()).cpu() for key, value in model.state_dict().items()}
        self.states = {e: state for e, state in self.states.items() if e in keep}
        return epoch in keep

    def state_dict(self) -> dict[str, Any]:
        """Everything the keeper knows, as plain values and tensors (a resumable run's checkpoint, engine/train/resume.py)."""
        return {"rule": self.rule.value, "losses": self.losses, "kendalls": self.kendalls, "spearmans": self.spearmans,
                "states": self.states}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Become the keeper ``state_dict`` described (saved under the same rule)."""
        if state["rule"] != self.rule.value:
            raise ValueError(f"a keeper of rule {state['rule']!r} cannot resume as one of rule {self.rule.value!r}")
        self.losses, self.kendalls, self.spearmans = list(state["losses"]), list(state["kendalls"]), list(state["spearmans"])
        self.states = {int(epoch): weights for epoch, weights in state["states"].items()}

    def chosen(self) -> tuple[int | None, dict[str, torch.Tensor] | None]:
        """The rule's epoch (from 1) and its weights; (None, None) when BEST_ON_TEST found no finite epoch."""
        epoch = select_epoch(self.rule, self.losses, self.kendalls, self.spearmans)
        return epoch, None if epoch is None else self.states[epoch]
