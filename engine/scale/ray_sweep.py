"""Many training runs (seeds x datasets x splits) as Ray tasks, on this machine or a Ray cluster.

Each run is a ``RunJob``: a small picklable description (dataset, split, seed, configurations,
paths), never the data. A Ray worker reads the data itself and calls the one function that trains
a run (``run_job`` over engine.train.loop.train_method_split), which writes the run's files exactly where the
sequential command writes them; only the small result (kept epoch, metrics, history) comes back.
So the files are the same as those of the sequential command with the same seeds: every run seeds
itself at its start and depends on nothing else. On a cluster, every node must see the project, the
data folder and the weights folder at the same paths (a shared file system).

A run whose worker process dies (killed, out of memory, a lost node) is started again, up to
``SweepConfig.max_retries`` times, and goes on from its last checkpoint (engine/train/resume.py: the
checkpoints are in the weights folder, which every node sees; the command holds the outputs' locks
for the whole sweep, so a retried task writes where its first attempt did); a run that fails with an error is not retried (it would fail
the same way) and the others go on; the failures are listed at the end. The new start is a new task
submitted here, not Ray's own task retry: with Ray's, a worker killed at the start of its task now
and then made the driver abort on Ray's internal check "Tried to complete task that was not
pending" (seen in this project's test suite), taking the whole sweep down with it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from config import DatasetSpec
from dataset.benchmark import load_benchmark
from dataset.custom import custom_benchmark
from dataset.splits import Split
from engine.run_outputs import Fallback, KeptElsewhere
from engine.train.loop import SplitTraining, train_method_split
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import TrainingPlan
from utils.cluster import WORKER_ENV, ray_session
from utils.errors import ProjectError
from utils.progress import progress_bar
from utils.runtime import select_device

log = logging.getLogger(__name__)


class SweepFailed(ProjectError):
    """Some runs of a sweep failed; the others finished. The message lists each failure."""


class SweepResources(ProjectError):
    """A run asks for more of a resource than the Ray cluster has, so it would wait forever."""


@dataclass(frozen=True)
class RunJob:
    """One training run, as a Ray worker receives it: what to train and where its files go."""

    dataset: DatasetSpec
    split: Split
    plan: TrainingPlan  # the method, its options and protocol; its seed is the run's seed
    data_dir: Path
    weights_dir: Path
    seed_folder: bool  # one of several seeds: files under <dataset>/seed<S>/
    device: str = "cpu"  # "cpu" or "cuda" (the GPU Ray gave the worker); run_sweep sets it
    threads: int = 1  # torch's CPU threads: a CPU run's numbers depend on it (summation order), so it is fixed
    # never RESTART: a retried task must go on from the checkpoint its first attempt left (cli/sweep_command.py discards old ones)
    resume: ResumePolicy = ResumePolicy.AUTO
    h5: Path | None = None  # a data set build_dataset.py wrote (--dataset custom --h5): read from this file, not from data_dir

    @property
    def label(self) -> str:
        return f"{self.dataset.name} seed {self.plan.seed} split {self.split.number}"


@dataclass(frozen=True)
class RunOutcome:
    """What comes back from a worker: the run's result and the files it had to keep elsewhere."""

    training: SplitTraining
    kept: list[KeptElsewhere] = field(default_factory=list)


@dataclass(frozen=True)
class SweepConfig:
    address: str | None = None  # a running cluster; None: RAY_ADDRESS, else a local Ray in this process
    cpus_per_run: float = 1.0  # Ray schedules this many CPUs per run (torch uses as many threads)
    gpus_per_run: float | None = None  # 0.25 packs four runs on a GPU; None: 1 when the cluster has GPUs, else 0
    max_retries: int = 3  # new starts of a run whose worker process died
    device: str | None = None  # "cpu" or "cuda"; None: CUDA when the cluster has GPUs
    progress: bool = True


def run_job(job: RunJob) -> RunOutcome:
    """Train one run in this process: what each Ray task does."""
    torch.set_num_threads(job.threads)
    if job.h5 is not None:  # the command's own reading of it (sources/folds.py), with the protocol it chose (--f1)
        benchmark, _ = custom_benchmark(job.h5, job.dataset.f1_reduction)
    else:
        benchmark = load_benchmark(job.dataset, job.data_dir)
    fallback = Fallback()  # the worker's own: where it keeps files its folder refuses
    result = train_method_split(benchmark, job.split, job.plan, select_device(job.device), job.weights_dir,
                                seed_folder=job.seed_folder, fallback=fallback, resume=job.resume)
    return RunOutcome(result, list(fallback.kept))


def gpus_for(config: SweepConfig, cluster_gpus: float) -> float:
    """GPUs per run: the asked share, else a whole GPU when the cluster has any and the CPU was not asked for.

    Raises:
        SweepResources: more than the cluster has, or a GPU share with --device cpu.
    """
    if config.gpus_per_run is None:
        return 1.0 if cluster_gpus > 0 and config.device != "cpu" else 0.0
    if config.gpus_per_run == 0 and config.device == "cuda":
        raise SweepResources("--device cuda with Ray needs a GPU share per run: give --gpus-per-run (e.g. 0.25)")
    if config.gpus_per_run > 0 and config.device == "cpu":
        raise SweepResources(f"--gpus-per-run {config.gpus_per_run:g} with --device cpu: choose one")
    if config.gpus_per_run > cluster_gpus:
        raise SweepResources(f"each run asks for {config.gpus_per_run:g} GPU(s) but the Ray cluster has {cluster_gpus:g}")
    return config.gpus_per_run


def run_sweep(jobs: Sequence[RunJob], config: SweepConfig,
              train_one: Callable[[RunJob], RunOutcome] = run_job) -> list[RunOutcome]:
    """Every job as a Ray task; the outcomes in the order of ``jobs``.

    Args:
        jobs: RunJob, or another frozen dataclass with ``label``, ``plan``, ``device`` and ``threads`` that
            ``train_one`` takes (engine.scale.own_split_runs.OwnSplitJob).
        train_one: what a task does with its job (tests wrap ``run_job`` to kill the worker;
            engine.scale.own_split_runs.run_own_split_job for VideoXum, Mr.HiSum and MoSu).

    Raises:
        SweepFailed: after every run has ended, when some failed (each named, with its error).
        SweepResources: the cluster cannot hold one run.
    """
    import ray

    with ray_session(config.address) as cluster:
        gpus = gpus_for(config, cluster.gpus)
        if config.cpus_per_run > cluster.cpus:
            raise SweepResources(f"each run asks for {config.cpus_per_run:g} CPU(s) but the Ray cluster has {cluster.cpus:g}")
        at_once = min(cluster.cpus // config.cpus_per_run, cluster.gpus // gpus if gpus else math.inf)
        log.info("Ray: %s; %d run(s), up to %d at a time (%g CPU, %g GPU each)",
                 cluster.describe(), len(jobs), at_once, config.cpus_per_run, gpus)
        task = ray.remote(train_one).options(num_cpus=config.cpus_per_run, num_gpus=gpus, max_retries=0,  # retried here
                                             runtime_env={"env_vars": WORKER_ENV}, name="train_run")
        threads = max(1, math.floor(config.cpus_per_run))
        jobs = [replace(job, device="cuda" if gpus else "cpu", threads=threads) for job in jobs]  # cuda: the GPU Ray gives the worker
        refs = {task.remote(job): number for number, job in enumerate(jobs)}  # the task running each job now
        try:
            return _collect(refs, jobs, task.remote, config.max_retries, config.progress)
        except BaseException:  # Ctrl-C or a bug here: the runs still queued must not go on without us
            for ref in refs:
                ray.cancel(ref, force=True)
            raise


def _collect(refs: dict, jobs: Sequence[RunJob], submit: Callable[[RunJob], object], max_retries: int,
             progress: bool) -> list[RunOutcome]:
    """Wait for every run, showing runs finished / total and the best result so far per dataset.

    Args:
        refs: the task of each job (Ray's reference -> index in ``jobs``); a job started again gets a
            new entry, and the dict always holds every task still running.
        submit: starts a job's task again, after its worker died (up to ``max_retries`` times).
    """
    import ray

    outcomes: list[RunOutcome | None] = [None] * len(jobs)
    starts = [1] * len(jobs)
    failures: list[str] = []
    best: dict[str, tuple[float, str]] = {}
    pending = list(refs)
    with progress_bar(total=len(jobs), desc="runs", unit="run", shown=progress, dynamic_ncols=True) as bar:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            number = refs.pop(done[0])
            job = jobs[number]
            try:
                outcome = ray.get(done[0])
            except ray.exceptions.RayError as error:
                # its worker process died (killed, out of memory, a lost node); else the run's own error, which would recur
                died = not isinstance(error, ray.exceptions.RayTaskError)
                if died and starts[number] <= max_retries:
                    starts[number] += 1
                    log.warning("%s: its worker died (%s); starting it again from its last checkpoint (start %d of %d)",
                                job.label, type(error).__name__, starts[number], max_retries + 1)
                    again = submit(job)
                    refs[again] = number
                    pending.append(again)
                    continue
                reason = f"its worker died {starts[number]} time(s): {error}" if died else str(error)
                failures.append(f"{job.label}: {reason}")
                log.error("FAILED %s: %s", job.label, reason)
                bar.update()
                continue
            outcomes[number] = outcome
            result = outcome.training
            log.info("%s: kept epoch %d -> %s (F1 %.2f, tau %.3f, rho %.3f)", job.label, result.best_epoch,
                     result.weights_path, result.metrics.f1, result.metrics.kendall, result.metrics.spearman)
            if not math.isnan(result.metrics.f1) and result.metrics.f1 > best.get(result.dataset, (-math.inf, ""))[0]:
                best[result.dataset] = (result.metrics.f1, f"seed {job.plan.seed} split {result.split}")
            bar.set_postfix_str(" | ".join(f"best {name} F1 {f1:.2f} ({where})" for name, (f1, where) in best.items()))
            bar.update()
    if failures:
        raise SweepFailed(f"{len(failures)} of {len(jobs)} run(s) failed (the others finished and wrote their files):\n"
                          + "\n".join(f"  {text}" for text in failures))
    return [outcome for outcome in outcomes if outcome is not None]
