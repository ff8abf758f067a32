"""One run per seed of a data set with its own train/val/test split (VideoXum, Mr.HiSum, MoSu), as Ray tasks.

The routes differ in how they open their data and train a run; what a Ray worker receives is the same:
where the data is (an object whose ``open()`` reads and checks it in the worker), never the data, and
the function that trains one run there. A retried task resumes from the run's checkpoint; a --restart
sweep's checkpoints are discarded once, here, before any task starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from engine.run_outputs import Fallback
from engine.run_paths import weights_path_for
from engine.scale.ray_sweep import RunOutcome, SweepConfig, run_sweep
from engine.train.resume import discard_checkpoints
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import TrainingPlan
from utils.runtime import select_device


class OpensItsData(Protocol):
    """Where a route's data is (VideoXumFiles, ReplayRequest): picklable, opened in the worker."""

    def open(self) -> Any: ...


# (data, plan, device, weights_dir, fallback, seed_folder, resume) -> the route's training result
TrainOneRun = Callable[[Any, TrainingPlan, torch.device, Path, Fallback, bool, ResumePolicy], Any]


@dataclass(frozen=True)
class OwnSplitJob:
    """One run (one seed) as a Ray worker receives it (engine.scale.ray_sweep.run_sweep)."""

    where: OpensItsData
    train: TrainOneRun  # a module-level function (pickled by name)
    name: str  # the data set, for labels and paths
    split: int  # the number its weights path takes
    plan: TrainingPlan  # its seed is the run's
    weights_dir: Path
    seed_folder: bool
    resume: ResumePolicy = ResumePolicy.AUTO
    device: str | None = None  # set by run_sweep: "cuda" (the GPU Ray gives the worker) or "cpu"
    threads: int = 1  # torch threads in the worker (its CPUs per run)

    @property
    def label(self) -> str:
        return f"{self.name} seed {self.plan.seed}"


def run_own_split_job(job: OwnSplitJob) -> RunOutcome:
    """Train one run in this process: what each Ray task does (a retried one resumes from its checkpoint)."""
    torch.set_num_threads(job.threads)
    fallback = Fallback()
    result = job.train(job.where.open(), job.plan, select_device(job.device), job.weights_dir, fallback, job.seed_folder, job.resume)
    return RunOutcome(result, list(fallback.kept))


def train_seeds_on_ray(where: OpensItsData, train: TrainOneRun, name: str, split: int, plan: TrainingPlan, seeds: Sequence[int],
                       weights_dir: Path, resume: ResumePolicy, sweep: SweepConfig, fallback: Fallback) -> list[Any]:
    """One run per seed, each a Ray task that opens the data itself; the results in the seeds' order, the files kept
    elsewhere added to ``fallback``.

    Raises:
        ProjectError: as cli.sweep_command.train_on_ray (a run that failed after its retries, a cluster too small).
    """
    several = len(seeds) > 1
    jobs = [OwnSplitJob(where, train, name, split, plan.with_seed(seed), weights_dir, several, resume.for_tasks()) for seed in seeds]
    if resume is ResumePolicy.RESTART:
        for seed in seeds:
            discard_checkpoints(weights_path_for(weights_dir, name, split, seed if several else None))
    outcomes = run_sweep(jobs, sweep, train_one=run_own_split_job)
    for outcome in outcomes:
        fallback.kept.extend(outcome.kept)
    return [outcome.training for outcome in outcomes]
