"""One model trained by several processes: ``torchrun --nproc_per_node N train.py ...``.

Each process (rank) holds the model, wrapped in DistributedDataParallel (NCCL on GPUs, one GPU per
process; gloo on the CPU), and every video (a streamed data set such as VideoXum: each rank reads only
its share of each epoch's videos from disk). Every epoch rank 0 draws the order of the training
videos, exactly as a lone process would, and shares it out: optimiser step s takes the next
N x videos_per_step videos of the order, rank r the r-th ``videos_per_step`` of them. DDP averages
the gradients over the ranks, so one step with one video per rank is one step on the MEAN gradient of
N videos: N videos per optimiser step, N times fewer steps per epoch than a lone process takes (the
videos left over after the last full step sit the epoch out). Only rank 0 evaluates (its metrics
are sent to every rank, so every rank keeps the same history) and writes.

BatchNorm running statistics (used at evaluation only) are rank 0's, as DDP broadcasts rank 0's
buffers before every forward pass. Every rank but 0 draws its dropout from its own generators,
seeded from the run's seed and its rank.

Without torchrun (or with one process) every function here is the plain single-process behaviour.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from engine.launch import Launch
from engine.method_training import TooFewTrainingVideos, TrainingVideo, VideoStream, train_epoch_accumulated
from models.methods import Loss, LossAverage
from utils.errors import ProjectError
from utils.runtime import seed_everything, select_device

T = TypeVar("T")
log = logging.getLogger(__name__)


class DistributedError(ProjectError):
    """A torchrun job that cannot run as asked (device, backend); on other ranks: rank 0's refusal."""


@dataclass(frozen=True)
class Ranks:
    """This process's rank among the processes training one model (0 of 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    backend: str | None = None  # "nccl" or "gloo"; None without a process group

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def current() -> Ranks:
    """The ranks of the process group this process joined (``start``); a lone process without one."""
    if dist.is_available() and dist.is_initialized():
        return Ranks(dist.get_rank(), dist.get_world_size(), str(dist.get_backend()))
    return Ranks()


def start(launch: Launch, requested: str | None = None) -> torch.device:
    """Join the torchrun job ``launch`` describes; returns this rank's device.

    On CUDA each process takes the GPU of its local rank (``--device cuda`` or no --device) and
    talks over NCCL; on the CPU over gloo. A lone process only chooses its device.

    Raises:
        DistributedError: a device DDP cannot use here, or fewer GPUs than processes on this machine.
    """
    device = select_device(requested)
    if not launch.distributed:
        return device
    if device.type == "cuda":
        if launch.local_rank >= torch.cuda.device_count():
            raise DistributedError(f"torchrun started local rank {launch.local_rank} but this machine has "
                                   f"{torch.cuda.device_count()} GPU(s): start at most one process per GPU")
        device = torch.device("cuda", launch.local_rank)
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise DistributedError(f"torchrun training runs on CUDA GPUs (NCCL) or on the CPU (gloo), not on {device}")
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")  # rank and world from torchrun's env://
    if launch.is_main:
        log.info("torchrun: %d processes train each model together (%s): one video per process per step, so %d videos "
                 "per optimizer step and %d times fewer steps per epoch", launch.world_size, dist.get_backend(),
                 launch.world_size, launch.world_size)
    return device


def stop() -> None:
    """Leave the process group (every rank, at the end).

    On a normal end every rank first waits for the others (a barrier): a rank that tore its gloo
    connections down while another was still finishing its last exchange made that one abort. While
    an error propagates there is no barrier: the other ranks may never arrive.

    Then the DDP wrappers nobody uses any more are collected: they sit in reference cycles, and each
    holds the group, so destroy_process_group alone leaves it (and gloo's threads) alive until the
    interpreter's teardown, where destroying it now and then aborts the process ("terminate called
    without an active exception", SIGABRT after the work was done; seen in the test suite).
    """
    if dist.is_available() and dist.is_initialized():
        if sys.exc_info()[0] is None:
            dist.barrier()
        gc.collect()
        dist.destroy_process_group()


def on_main(work: Callable[[], T]) -> T:
    """``work()`` run on rank 0 only, its result sent to every rank.

    A ProjectError raised there is raised on every rank (its message, as DistributedError, elsewhere),
    so all ranks stop together instead of the others waiting for rank 0 for ever.
    """
    ranks = current()
    if not ranks.active:
        return work()
    payload: list[Any] = [None]
    failure: Exception | None = None
    if ranks.is_main:
        try:
            payload[0] = ("ok", work())
        except Exception as error:  # noqa: BLE001 - sent to the other ranks, then raised here as it is
            failure = error
            payload[0] = ("failed", f"rank 0: {error}")
    dist.broadcast_object_list(payload, src=0)
    if failure is not None:
        raise failure
    status, value = payload[0]
    if status == "failed":
        raise DistributedError(value)
    return value


def gather(value: T) -> list[T]:
    """Every rank's ``value``, by rank (every rank calls it)."""
    ranks = current()
    if not ranks.active:
        return [value]
    values: list[Any] = [None] * ranks.world_size
    dist.all_gather_object(values, value)
    return values


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` in DistributedDataParallel under torchrun (the module to train), else ``model`` itself.

    Evaluate and save the unwrapped ``model``: its state_dict keys are the released ones.
    """
    if not current().active:
        return model
    # some methods hold parameters a forward pass does not use (e.g. the CNN's classifier): DDP must look for them
    return nn.parallel.DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None, find_unused_parameters=True,
    )


def separate_generators(seed: int) -> None:
    """Give every rank but 0 random streams of its own (dropout), derived from ``seed`` and the rank.

    Rank 0 keeps the stream of a lone process, which also draws each epoch's order.
    """
    ranks = current()
    if ranks.rank > 0:
        seed_everything(int(np.random.SeedSequence([seed, ranks.rank]).generate_state(1)[0]))


def rank_share(order: Sequence[int], ranks: Ranks, videos_per_step: int = 1) -> list[int]:
    """This rank's videos of an epoch's ``order``, in its order: step s of the job takes the next
    world_size x videos_per_step videos, rank r the r-th videos_per_step of them; the rest sit out."""
    per_step = ranks.world_size * videos_per_step
    first = ranks.rank * videos_per_step
    return [order[step * per_step + first + i] for step in range(len(order) // per_step) for i in range(videos_per_step)]


class _StreamShare(VideoStream):
    """A rank's share of a streamed epoch: the stream's videos ``share`` names, read in the share's order."""

    def __init__(self, stream: VideoStream, share: Sequence[int]) -> None:
        self.stream, self.share = stream, list(share)

    def __len__(self) -> int:
        return len(self.share)

    def in_order(self, order: Sequence[int]) -> Iterator[TrainingVideo]:
        return self.stream.in_order([self.share[index] for index in order])


def _randperm(n_videos: int) -> list[int]:
    return torch.randperm(n_videos).tolist()


def train_epoch(
    trainer: nn.Module,
    optimizer: torch.optim.Optimizer,
    videos: Sequence[TrainingVideo] | VideoStream,
    loss: Loss | Callable[[torch.Tensor, torch.Tensor | None, float | None], torch.Tensor] = Loss.GTSCORE_MSE,
    videos_per_step: int = 1,
    grad_clip_norm: float | None = None,
    length_factor: float | None = None,
    draw_order: Callable[[int], Sequence[int]] = _randperm,
    loss_average: LossAverage = LossAverage.PYTHON_FLOAT,
) -> float:
    """One epoch shared out over the ranks (see the module docstring); every rank calls it.

    Args:
        trainer: the model from ``wrap``.
        videos_per_step: videos each rank accumulates per step (engine.method_training.train_epoch_accumulated).
        draw_order: the epoch's order of the training videos, drawn on rank 0 (default torch.randperm,
            CSTA's loop; e.g. ``lambda n: epoch_order(Shuffle.DATALOADER, n)`` for PGL-SUM and CA-SUM).
        loss_average: how each rank averages its videos' losses (the method's protocol).

    Returns:
        The mean loss of the videos used, over every rank.
    """
    ranks = current()
    order = on_main(lambda: [int(index) for index in draw_order(len(videos))])
    share = rank_share(order, ranks, videos_per_step)
    if not share:
        raise TooFewTrainingVideos(
            f"{len(videos)} training videos cannot fill one optimiser step of {ranks.world_size} processes x "
            f"{videos_per_step} video(s); use fewer processes"
        )
    # a stream (VideoXum) reads only this rank's videos, each once, in the share's order
    mine = _StreamShare(videos, share) if isinstance(videos, VideoStream) else [videos[index] for index in share]
    mean = train_epoch_accumulated(trainer, optimizer, mine, loss, videos_per_step,
                                   grad_clip_norm, length_factor, order=range(len(share)),
                                   loss_average=loss_average)
    if not ranks.active:
        return mean
    total = torch.tensor([mean], dtype=torch.float64, device=next(trainer.parameters()).device)
    dist.all_reduce(total)  # every rank used as many videos, so the mean of the means is the mean
    return total.item() / ranks.world_size


def record_entry(ranks: Ranks, videos_per_step: int = 1) -> dict[str, Any]:
    """What a run's JSON record says about its processes: how many videos one optimiser step sees."""
    return {
        "processes": ranks.world_size,
        "backend": ranks.backend,
        "videos_per_optimizer_step": ranks.world_size * videos_per_step,
        "note": f"{videos_per_step} video(s) per process per step; DDP averages the gradients of the {ranks.world_size} processes"
        if ranks.active else f"one process, {videos_per_step} video(s) per optimizer step",
    }
