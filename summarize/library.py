"""Summarising a library of videos across Ray workers (generate_video.py --ray), on this machine or
a Ray cluster.

Each worker is a Ray actor that loads the networks once (with the same loader as the sequential
run) and then summarises one video at a time with the same per-video function
(summarize.runner.summarize_one), so it writes the same outputs. Videos are handed out as workers
become free, one at a time each, so a long video never holds up a queue of short ones behind it.
Only the job (paths and fingerprint) goes to a worker and only the outcome (a few lines) comes
back: the worker reads the video and writes its outputs itself, so on a cluster every node must
see the inputs and the output folder at the same paths (a shared file system).

A video that fails is reported and the others go on, as in the sequential run. A worker process
that dies (out of memory, killed) fails only the video it held; a new worker takes its place.

The machinery (run_on_workers: place, load once, stream, replace) takes any per-video job: it is
also build_dataset.py --ray's (builder/ray_build.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from summarize.plan import display_path
from summarize.provenance import VideoJob
from summarize.runner import Summarizer, VideoOutcome, log_outcome, summarize_one
from utils.cluster import WORKER_ENV, ray_session
from utils.errors import ProjectError

log = logging.getLogger(__name__)


class WorkersUnavailable(ProjectError):
    """The workers could not load the networks (the message is the loader's own), or the cluster
    cannot hold one worker."""


@dataclass(frozen=True)
class LibraryConfig:
    address: str | None = None  # a running cluster; None: RAY_ADDRESS, else a local Ray in this process
    workers: int | None = None  # None: one per GPU when GPUs are used, else one per CPU; never more than the videos
    use_gpus: bool = True  # False: --device cpu, CPU workers even on a cluster with GPUs
    threads: int | None = None  # torch's CPU threads per worker, and the CPUs a CPU worker reserves; None: this process's


@dataclass(frozen=True)
class Placement:
    workers: int
    gpus_per_worker: float  # 0: CPU workers; a share packs several workers on one GPU
    cpus_per_worker: int = 1


def place_workers(config: LibraryConfig, videos: int, cluster_cpus: float, cluster_gpus: float, threads: int) -> Placement:
    """How many workers and what each reserves: GPU workers when the cluster has GPUs (shared out
    evenly when there are more workers than GPUs), else CPU workers of ``threads`` CPUs each.

    Raises:
        WorkersUnavailable: more CPU workers asked for than the cluster's CPUs hold (they would wait forever).
    """
    gpus = cluster_gpus if config.use_gpus else 0.0
    default = int(gpus) if gpus >= 1 else int(cluster_cpus // threads)
    workers = max(1, min(config.workers or default, videos))
    if not gpus and workers * threads > cluster_cpus:
        raise WorkersUnavailable(f"{workers} workers of {threads} CPU(s) asked for, but the Ray cluster has {cluster_cpus:g} CPU(s)")
    if not gpus:
        return Placement(workers, 0.0, threads)
    share = min(1.0, gpus / workers)
    return Placement(workers, share if share == 1.0 else math.floor(share * 100) / 100)  # Ray takes shares to 1e-4


class _Messages(logging.Handler):
    """What the loader logs in a worker, to be said once by the driver."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))


class LibraryWorker:
    """A Ray actor holding the networks: built by ``load`` (the sequential run's loader), kept as ``loaded``
    (a subclass adds the method that does its own kind of job: builder.ray_build's extracts features).

    It runs torch with ``threads`` CPU threads, the sequential run's count: on a CPU, features and
    scores depend on it in their last bits (the order of float sums), and so could a summary.
    """

    def __init__(self, load: Callable[[], Any], threads: int) -> None:
        torch.set_num_threads(threads)
        messages = _Messages()
        root = logging.getLogger()
        level = root.level
        root.addHandler(messages)
        root.setLevel(logging.INFO)
        try:
            self.loaded = load()  # None: the loader logged why it could not
        finally:
            root.removeHandler(messages)
            root.setLevel(level)
        self.messages = messages.lines

    def ready(self) -> tuple[bool, list[tuple[int, str]]]:
        """Whether the networks loaded, and what the loader said (its error when they did not)."""
        return self.loaded is not None, self.messages

    def summarize(self, job: VideoJob) -> VideoOutcome:
        return summarize_one(self.loaded, job)


def summarize_on_ray(load: Callable[[], Summarizer | None], jobs: Sequence[VideoJob], config: LibraryConfig) -> Iterator[VideoOutcome]:
    """Every job on a Ray worker, one outcome each as it finishes (not in the jobs' order); after a
    full disk no new video is started, and those in progress are waited for.

    Args:
        load: builds the networks in a worker; pickled to the workers (a module-level function or a
            functools.partial of one), returns None after logging why it could not.

    Raises:
        WorkersUnavailable: no worker could load the networks (nothing was summarised).
    """
    def lost(job: VideoJob, error: Exception) -> VideoOutcome:
        return VideoOutcome(job.source, False, f"{display_path(job.source)}: the worker summarising it stopped ({error})")

    for _, outcome in run_on_workers(LibraryWorker, load, jobs, config, lambda worker, job: worker.summarize.remote(job), lost,
                                     stop=lambda outcome: outcome.disk_full):
        log_outcome(outcome)
        yield outcome


Job = TypeVar("Job")
Outcome = TypeVar("Outcome")


def run_on_workers(worker_class: type[LibraryWorker], load: Callable[[], Any], jobs: Sequence[Job], config: LibraryConfig,
                   call: Callable[[Any, Job], Any], lost: Callable[[Job, Exception], Outcome],
                   stop: Callable[[Outcome], bool] = lambda outcome: False) -> Iterator[tuple[Job, Outcome]]:
    """Every job on a Ray actor of ``worker_class`` (a LibraryWorker holding what ``load`` built), each
    job with its outcome as it finishes; the library's machinery, shared with build_dataset.py --ray.

    Args:
        call: starts one job on a worker (``worker.method.remote(job)``) and returns Ray's reference.
        lost: the outcome of a job whose worker process died (a new worker takes its place).
        stop: after an outcome for which it is true no new job is started; those in progress finish.

    Raises:
        WorkersUnavailable: no worker could load the networks (no job was started).
    """
    import ray

    threads = config.threads or torch.get_num_threads()
    with ray_session(config.address) as cluster:
        placement = place_workers(config, len(jobs), cluster.cpus, cluster.gpus, threads)
        log.info("Ray: %s; %d worker(s), %s each, %d torch thread(s) each", cluster.describe(), placement.workers,
                 f"{placement.gpus_per_worker:g} GPU" if placement.gpus_per_worker else f"{placement.cpus_per_worker} CPU(s)", threads)
        actor = ray.remote(worker_class).options(num_cpus=placement.cpus_per_worker, num_gpus=placement.gpus_per_worker,
                                                 max_restarts=0, max_task_retries=0, runtime_env={"env_vars": WORKER_ENV})
        workers = [actor.remote(load, threads) for _ in range(placement.workers)]
        try:
            _check_loaded(ray, workers)
            yield from _stream(ray, workers, list(jobs), lambda: actor.remote(load, threads), call, lost, stop)
        finally:  # Ctrl-C or a bug: a cluster's workers must not go on without this run
            for worker in workers:
                ray.kill(worker)


def _check_loaded(ray: Any, workers: list) -> None:
    loaded = ray.get([worker.ready.remote() for worker in workers])
    for ok, lines in loaded[:1] + [item for item in loaded[1:] if not item[0]][:1]:  # the first worker's words, and a failure's
        for level, text in lines:
            log.log(level, "%s", text)
        if not ok:
            raise WorkersUnavailable("the workers could not load the networks (see above)")


def _stream(ray: Any, workers: list, todo: list[Job], replace_worker: Callable[[], Any], call: Callable[[Any, Job], Any],
            lost: Callable[[Job, Exception], Outcome], stop: Callable[[Outcome], bool]) -> Iterator[tuple[Job, Outcome]]:
    """Keep every worker busy with one job until none is left; outcomes as they come."""
    todo.reverse()  # popped from the end: the jobs' order
    running: dict[Any, tuple[Any, Job]] = {}

    def start(worker: Any) -> None:
        if todo:
            job = todo.pop()
            running[call(worker, job)] = (worker, job)

    for worker in workers:
        start(worker)
    while running:
        [done], _ = ray.wait(list(running), num_returns=1)
        worker, job = running.pop(done)
        try:
            outcome = ray.get(done)
        except ray.exceptions.RayActorError as error:  # the worker process died with this job
            outcome = lost(job, error)
            workers[workers.index(worker)] = worker = replace_worker()
        yield job, outcome
        if stop(outcome):
            todo.clear()  # every later job would fail the same way; those running finish
        start(worker)
