"""One model trained by several processes: ``torchrun --nproc_per_node N train.py ...``.

Each process (rank) holds the model, wrapped in DistributedDataParallel (NCCL on GPUs, one GPU per
process; gloo on the CPU), and every video (a streamed data set such as VideoXum: each rank reads only
its share of each epoch's videos from disk). Every epoch rank 0 draws the order of the training
videos, exactly as a lone process would, and shares it out; how a step is shared depends on how many
videos the method sums per optimiser step, k (StepShare):

- k > 1 (PGL-SUM and CA-SUM: 20 on SumMe, 40 on TVSum): the authors' step is kept. Step s takes the
  same k videos as a lone process's step s, rank r the r-th k / N of them; each rank scales its
  videos' losses by N before the backward pass, so DDP's mean over the ranks of N x each rank's sum
  is the sum over the k videos: the lone process's gradient, clipped and stepped alike, hence the
  same weights up to float summation order. N must divide k (refused otherwise).
- k = 1 (CSTA): one video cannot be shared, so each rank takes a video of its own and DDP averages
  them: N videos per optimiser step (the MEAN gradient), N times fewer steps per epoch than a lone
  process, which is not the paper's one-video protocol (the record says so).

The videos left over after the last full step sit the epoch out, except for a method whose authors'
DataLoader keeps its last, smaller batch (SummDiff): they make one more step, dealt out to the ranks in
turn (a rank with none joins the step's gradient exchange with a zero-weighted pass of its previous video).
SummDiff's steps weigh each video's loss by its share of the step's time steps, counted over every
rank, so the shared step's gradient is still the lone process's. Only rank 0 evaluates (its metrics
are sent to every rank, so every rank keeps the same history) and writes.

BatchNorm running statistics (used at evaluation only) are rank 0's, as DDP broadcasts rank 0's
buffers before every forward pass. Every rank but 0 draws its dropout from its own generators,
seeded from the run's seed and its rank: with dropout, a shared step's masks are not the lone
process's, so the weights match in distribution only (exactly without dropout).

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

from engine.scale.launch import Launch
from engine.train.epoch import (
    EpochSteps,
    GradientExchange,
    TooFewTrainingVideos,
    TrainingVideo,
    VideoStream,
    epoch_order,
    train_epoch_accumulated,
)
from models.methods import StepLoss
from utils.errors import ProjectError
from utils.runtime import seed_everything, select_device

T = TypeVar("T")
log = logging.getLogger(__name__)


class DistributedError(ProjectError):
    """A torchrun job that cannot run as asked (device, backend); on other ranks: rank 0's refusal."""


class UnevenStepShare(DistributedError, ValueError):
    """A method's videos per optimiser step that the job's processes cannot share evenly."""


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
        log.info("torchrun: %d processes train each model together (%s)", launch.world_size, dist.get_backend())
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


@dataclass(frozen=True)
class StepShare:
    """How the processes share one optimiser step of a method that sums ``videos_per_step`` videos' gradients.

    See the module docstring: k > 1 videos are split k / N per process and the step is the lone
    process's; one video per step (k = 1) becomes N videos per step, one per process, on their mean gradient.
    """

    videos_per_step: int  # k: the method's (its authors') videos per optimiser step, a lone process's step
    processes: int = 1  # N: torchrun's world size

    def __post_init__(self) -> None:
        if self.keeps_method_step and self.videos_per_step % self.processes:
            divisors = [n for n in range(1, self.videos_per_step + 1) if self.videos_per_step % n == 0]
            raise UnevenStepShare(
                f"the method sums the gradients of {self.videos_per_step} videos per optimiser step, which {self.processes} "
                f"processes cannot share evenly: start a number of processes that divides {self.videos_per_step} "
                f"({', '.join(map(str, divisors))}), or change --videos-per-step"
            )

    @property
    def keeps_method_step(self) -> bool:
        """True when a step sees the same videos and gradient as a lone process's step (any k > 1, or one process)."""
        return self.videos_per_step > 1 or self.processes == 1

    @property
    def per_process(self) -> int:
        """Videos each process takes per step."""
        return self.videos_per_step // self.processes if self.keeps_method_step else 1

    @property
    def videos_per_optimizer_step(self) -> int:
        return self.per_process * self.processes

    @property
    def loss_scale(self) -> float:
        """What each process multiplies its videos' losses by: DDP averages the processes' gradients, and the
        mean of N x each process's sum is the sum over the step's videos. 1 where the step is N videos' mean."""
        return float(self.processes) if self.keeps_method_step else 1.0

    def describe(self) -> str:
        """One sentence for the log and the record."""
        if self.processes == 1:
            return f"one process, {self.videos_per_step} video(s) per optimizer step"
        if self.keeps_method_step:
            return (f"the method's step is kept: its {self.videos_per_step} videos per optimizer step are shared out, "
                    f"{self.per_process} per process, and the step's gradient is their sum, as a lone process's")
        return (f"one video per process per step, so {self.processes} videos per optimizer step on their mean gradient "
                f"(DDP averages), {self.processes} times fewer steps per epoch than the method's one-video step")


_said: set[tuple[str, str]] = set()  # what share_steps already logged: once per job, not per split and seed


def share_steps(videos_per_step: int, what: str = "the method") -> StepShare:
    """How this job's processes share the steps of ``what`` (a method on a data set, for the messages).

    Every rank calls it before training (each reaches the same answer), so a refusal stops them all at once.

    Raises:
        UnevenStepShare: k > 1 videos per step that the processes cannot share evenly.
    """
    ranks = current()
    try:
        share = StepShare(videos_per_step, ranks.world_size)
    except UnevenStepShare as error:
        raise UnevenStepShare(f"torchrun with {ranks.world_size} processes: {what}: {error}") from None
    if ranks.active and ranks.is_main and (what, share.describe()) not in _said:
        _said.add((what, share.describe()))
        log.info("torchrun: %s: %s", what, share.describe())
    return share


def refuse_unshared_steps(step_loss: StepLoss, partial_step: bool, what: str) -> None:
    """Refuse, under torchrun, a smaller last step of plainly summed losses (no method has one): its ranks would hold
    unequal numbers of videos, and the epoch's mean loss is made of equal shares. SummDiff's length-weighted steps,
    the last one smaller, are shared (train_epoch)."""
    if not current().active or not partial_step or step_loss is StepLoss.LENGTH_WEIGHTED_MEAN:
        return
    raise DistributedError(f"{what}: a smaller last step of summed losses is not shared by torchrun's processes; "
                           "train it without torchrun (one process)")


def rank_share(order: Sequence[int], ranks: Ranks, per_process: int = 1) -> list[int]:
    """This rank's videos of an epoch's ``order``, in its order: step s of the job takes the next
    world_size x per_process videos, rank r the r-th per_process of them; the rest sit out."""
    per_step = ranks.world_size * per_process
    first = ranks.rank * per_process
    return [order[step * per_step + first + i] for step in range(len(order) // per_step) for i in range(per_process)]


class _StreamShare(VideoStream):
    """A rank's share of a streamed epoch: the stream's videos ``share`` names, read in the share's order."""

    def __init__(self, stream: VideoStream, share: Sequence[int]) -> None:
        self.stream, self.share = stream, list(share)

    def __len__(self) -> int:
        return len(self.share)

    def in_order(self, order: Sequence[int]) -> Iterator[TrainingVideo]:
        return self.stream.in_order([self.share[index] for index in order])


_CSTA_STEPS = EpochSteps()  # one video per step, torch.randperm's order


def train_epoch(
    trainer: nn.Module,
    optimizer: torch.optim.Optimizer,
    videos: Sequence[TrainingVideo] | VideoStream,
    steps: EpochSteps = _CSTA_STEPS,
) -> float:
    """One epoch as ``steps`` says, shared out over the ranks (see the module docstring); every rank calls it.

    Args:
        trainer: the model from ``wrap``.
        steps: the method's epoch, as a lone process runs it (engine.train.epoch.train_epoch): its
            videos per step are the lone process's, shared out as StepShare says; rank 0 draws the order.

    Returns:
        The mean loss of the videos used, over every rank.
    """
    ranks = current()
    share = StepShare(steps.videos_per_step, ranks.world_size)
    order = on_main(lambda: epoch_order(steps.shuffle, len(videos)))
    mine_in_order = rank_share(order, ranks, share.per_process)
    sizes = None
    if steps.partial_step and share.keeps_method_step:
        full = len(order) // share.videos_per_step
        left = order[full * share.videos_per_step:]  # the lone process's last, smaller step, dealt out in turn
        if left:
            if full == 0 and len(left) < ranks.world_size:
                raise TooFewTrainingVideos(f"{len(videos)} training videos cannot give each of {ranks.world_size} processes "
                                           "one: use fewer processes")
            last_step = left[ranks.rank::ranks.world_size]
            mine_in_order += last_step
            sizes = [share.per_process] * full + [len(last_step)]
    if not mine_in_order:
        raise TooFewTrainingVideos(
            f"{len(videos)} training videos cannot fill one optimiser step of {share.videos_per_step} videos "
            "(the authors' loop would never update the model)" if share.keeps_method_step else
            f"{len(videos)} training videos cannot fill one optimiser step of {ranks.world_size} processes x "
            "1 video; use fewer processes"
        )
    # a stream (VideoXum) reads only this rank's videos, each once, in the share's order
    mine = (_StreamShare(videos, mine_in_order) if isinstance(videos, VideoStream)
            else [videos[index] for index in mine_in_order])
    # DDP exchanges the gradients once per step: no_sync around every video of a step but its last
    device = next(trainer.parameters()).device
    exchange = (GradientExchange(share.loss_scale, trainer.no_sync, lambda value: _summed(value, device))
                if isinstance(trainer, nn.parallel.DistributedDataParallel) else GradientExchange())
    mean = train_epoch_accumulated(trainer, optimizer, mine, steps.loss, share.per_process, steps.grad_clip_norm,
                                   steps.length_factor, order=range(len(mine_in_order)), loss_average=steps.loss_average,
                                   exchange=exchange, step_loss=steps.step_loss, partial_step=steps.partial_step, sizes=sizes)
    if not ranks.active:
        return mean
    total = _summed(mean, device)
    if steps.step_loss is StepLoss.LENGTH_WEIGHTED_MEAN:  # each rank's mean holds its part of every step's weighted mean
        return total
    return total / ranks.world_size  # every rank used as many videos, so the mean of the means is the mean


def _summed(value: float, device: torch.device) -> float:
    """``value`` summed over the ranks."""
    total = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.item()


def record_entry(ranks: Ranks, videos_per_step: int = 1) -> dict[str, Any]:
    """What a run's JSON record says about its processes: how many videos one optimiser step sees, and
    whether that step is the method's own (a lone process's)."""
    share = StepShare(videos_per_step, ranks.world_size)
    return {
        "processes": ranks.world_size,
        "backend": ranks.backend,
        "method_videos_per_step": videos_per_step,
        "videos_per_process_per_step": share.per_process,
        "videos_per_optimizer_step": share.videos_per_optimizer_step,
        "keeps_method_step": share.keeps_method_step,
        "note": share.describe(),
    }
