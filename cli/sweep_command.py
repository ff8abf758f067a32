"""train.py --ray: the command's runs as one Ray sweep (engine.scale.ray_sweep), in the sequential command's
order and with its files; train.py prints the same tables from the results. VideoXum's runs, one task per
seed: sources/videoxum/training.train_videoxum_on_ray, with the sweep_config cli/route_request.route_request reads here.

Here the command's flags become the typed requests engine/scale/ray_sweep.py takes (SweepConfig, RunJob): it never
reads the argparse namespace."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from cli.options import data_request
from dataset.benchmark import Benchmark
from dataset.splits import Split
from engine.run_outputs import Fallback
from engine.run_paths import weights_path_for
from engine.scale.ray_sweep import RunJob, SweepConfig, run_sweep
from engine.train.loop import SplitTraining
from engine.train.resume import discard_checkpoints
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import TrainingPlan
from sources import sources_for
from utils.errors import ProjectError

log = logging.getLogger("train")

RAY_DEVICES = ("cpu", "cuda")  # with Ray a worker's GPU is the one Ray gives it: no index


class RayDeviceError(ProjectError, ValueError):
    """--device names one GPU, which Ray cannot honour (it gives each run its own)."""


def task_policy(args: argparse.Namespace) -> ResumePolicy:
    """The resume pair as each Ray task runs it (ResumePolicy.for_tasks)."""
    return getattr(args, "resume", ResumePolicy.AUTO).for_tasks()


def sweep_config(args: argparse.Namespace) -> SweepConfig:
    if args.device is not None and args.device not in RAY_DEVICES:
        raise RayDeviceError(f"with Ray, --device is cpu or cuda (each run gets its GPU from Ray), not {args.device!r}")
    return SweepConfig(address=args.ray_address, cpus_per_run=args.cpus_per_run or 1.0, gpus_per_run=args.gpus_per_run, device=args.device)


def sweep_jobs(args: argparse.Namespace, plan: TrainingPlan, datasets: list, seeds: list[int]) -> list[RunJob]:
    """The runs in the sequential command's order: seed by seed, dataset by dataset, split by split."""
    several = len(seeds) > 1
    policy = task_policy(args)
    h5 = _worker_file(args)  # a built data set: the workers read its file
    return [RunJob(spec, split, plan.with_seed(seed), args.data_dir, args.weights_dir, seed_folder=several, resume=policy, h5=h5)
            for seed in seeds for spec, _, splits in datasets for split in splits]


def _worker_file(args: argparse.Namespace) -> Path | None:
    """The file the chosen source's workers read its data from (sources/: a built data set's --h5), or None: --data-dir."""
    if not hasattr(args, "dataset"):
        return None
    request = data_request(args)
    files = [path for path in (source.worker_file(request) for source in sources_for(args.dataset)) if path is not None]
    return files[0] if files else None


def train_on_ray(args: argparse.Namespace, plan: TrainingPlan, datasets: list[tuple[object, Benchmark, list[Split]]],
                 seeds: list[int], fallback: Fallback) -> dict[int, list[SplitTraining]]:
    """Train every run of the command as a Ray task; the results per seed, in the sequential order.

    Args:
        datasets: (spec, benchmark, splits) per dataset, read and checked by the command.
        fallback: the command's; the files workers had to keep elsewhere are added to it.

    Raises:
        ProjectError: a run failed (engine.scale.ray_sweep.SweepFailed), cannot be placed on the cluster, or
            --device names a single GPU.
    """
    config = sweep_config(args)
    jobs = sweep_jobs(args, plan, datasets, seeds)
    if getattr(args, "resume", ResumePolicy.AUTO) is ResumePolicy.RESTART:
        for job in jobs:
            discard_checkpoints(weights_path_for(job.weights_dir, job.dataset.name, job.split.number,
                                                 job.plan.seed if job.seed_folder else None))
    outcomes = run_sweep(jobs, config)
    results: dict[int, list[SplitTraining]] = {seed: [] for seed in seeds}
    for job, outcome in zip(jobs, outcomes, strict=True):
        results[job.plan.seed].append(outcome.training)
        fallback.kept.extend(outcome.kept)
    return results
