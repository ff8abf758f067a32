"""Joining Ray, for the launchers that spread many independent jobs over processes and machines
(train.py, generate_video.py and the feature extractor with --ray), and the pool of Ray workers
that hold networks loaded once (generate_video.py --ray, python -m cli.extract_features --ray).

Ray runs embedded: with no address it starts in this process on this machine's cores and GPUs
and stops with it; with an address (``ray start --head`` prints it; or RAY_ADDRESS) the same code
runs on a cluster. A Ray this process has already started or joined (a notebook, a test) is used
as it is and left running. An address where nothing answers is given up after RAY_CONNECT_SECONDS
(Ray itself would retry for many minutes) with RayUnreachable, which every command prints in one
line, exit status 2. Ray (and torch) are imported here only when called, so that the
scripts' argument checks stay light.

The worker pool (``run_on_ray``): each worker is a Ray actor that builds what the sequential run
uses (its networks) once, with the sequential run's own loader, then applies the sequential run's
per-video function to one job at a time, so it writes the same files. Jobs are handed out as
workers become free, one at a time each, so a long video never holds up a queue of short ones
behind it. Only the job (paths) goes to a worker and only the outcome comes back: the worker reads
and writes the files itself, so on a cluster every node must see them at the same paths (a shared
file system). A worker process that dies (out of memory, killed) fails only the job it held; a new
worker takes its place.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from utils.errors import ProjectError

log = logging.getLogger(__name__)

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")
Held = TypeVar("Held")

MAX_RAY_WORKERS = 10_000  # the largest --ray-workers the launchers accept
RAY_ADDRESS_ENV = "RAY_ADDRESS"  # Ray's own variable: ray.init() joins the cluster it names
RAY_CONNECT_SECONDS = 15.0  # how long a cluster address may take to accept a connection before the command gives up

# What every worker process of a launcher starts with: the per-epoch and per-frame progress bars of
# many workers would interleave in the driver's terminal (tqdm reads this when it is imported).
WORKER_ENV = {"TQDM_DISABLE": "1"}


@dataclass(frozen=True)
class Cluster:
    """The Ray a launcher runs on, as the user should hear of it."""

    where: str  # "a local Ray started by this process" or "the Ray cluster at <address>"
    cpus: float  # in the whole cluster
    gpus: float

    def describe(self) -> str:
        return f"{self.where}: {self.cpus:g} CPU(s), {self.gpus:g} GPU(s)"


class RayUnreachable(ProjectError, ConnectionError):
    """Nothing answers at a Ray cluster's address (--ray-address or RAY_ADDRESS) within the bound."""


def _endpoint(address: str) -> tuple[str, int] | None:
    """The host and port an address names (``HOST:PORT``, ``ray://HOST:PORT``), or None (``auto``: Ray finds it)."""
    text = address.split("://", 1)[1] if "://" in address else address
    host, colon, port = text.rpartition(":")
    return (host.strip("[]"), int(port)) if colon and host and port.isdigit() else None


def wait_for_ray(address: str, seconds: float) -> None:
    """Return once something accepts a connection at ``address``'s host and port, trying for ``seconds``.

    Ray's own connect retries for many minutes (20 tries of 35 s each in Ray 2.x) when nothing listens, so a
    mistyped --ray-address would look like a hung command. Only the address is checked here; what listens
    there is Ray's to judge.

    Raises:
        RayUnreachable: nothing accepted a connection within ``seconds``; names the address and the bound.
    """
    endpoint = _endpoint(address)
    if endpoint is None:
        return
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(endpoint, timeout=max(0.1, min(2.0, deadline - time.monotonic()))):
                return
        except OSError as error:
            why = error.strerror or str(error) or type(error).__name__
        left = deadline - time.monotonic()
        if left <= 0:
            raise RayUnreachable(f"no Ray cluster answers at {address} (tried for {seconds:g} s: {why}); start one with "
                                 f"`ray start --head` and pass the address it prints, or check --ray-address and {RAY_ADDRESS_ENV}")
        time.sleep(min(0.5, left))  # a head node that is still starting


@contextlib.contextmanager
def ray_session(address: str | None = None, connect_seconds: float | None = None) -> Iterator[Cluster]:
    """Ray for the duration of the block.

    Args:
        address: a running cluster (``auto``, ``host:6379``, ``ray://host:10001``); None: the
            cluster in RAY_ADDRESS if set, else a local Ray started in this process.
        connect_seconds: how long the address may take to answer (None: RAY_CONNECT_SECONDS).

    Raises:
        RayUnreachable: nothing answers at the address's host and port within ``connect_seconds``.
        ConnectionError: no Ray cluster answers at the address (Ray's own message; ``auto`` with none running).
    """
    import ray

    if ray.is_initialized():
        yield _cluster(ray, "the Ray this process already runs on")
        return
    address = address or os.environ.get(RAY_ADDRESS_ENV) or None
    if address:
        wait_for_ray(address, RAY_CONNECT_SECONDS if connect_seconds is None else connect_seconds)
        ray.init(address=address)
        where = f"the Ray cluster at {address}"
    else:
        ray.init(include_dashboard=False)
        where = "a local Ray started by this process"
    try:
        yield _cluster(ray, where)
    finally:
        ray.shutdown()


def _cluster(ray: Any, where: str) -> Cluster:
    resources = ray.cluster_resources()
    return Cluster(where, float(resources.get("CPU", 0)), float(resources.get("GPU", 0)))


class WorkersUnavailable(ProjectError):
    """The workers could not load the networks (the message is the loader's own), or the cluster
    cannot hold one worker."""


@dataclass(frozen=True)
class PoolConfig:
    address: str | None = None  # a running cluster; None: RAY_ADDRESS, else a local Ray in this process
    workers: int | None = None  # None: one per GPU when GPUs are used, else one per CPU; never more than the jobs
    use_gpus: bool = True  # False: --device cpu, CPU workers even on a cluster with GPUs
    threads: int | None = None  # torch's CPU threads per worker, and the CPUs a CPU worker reserves; None: this process's


@dataclass(frozen=True)
class Placement:
    workers: int
    gpus_per_worker: float  # 0: CPU workers; a share packs several workers on one GPU
    cpus_per_worker: int = 1


def place_workers(config: PoolConfig, jobs: int, cluster_cpus: float, cluster_gpus: float, threads: int) -> Placement:
    """How many workers and what each reserves: GPU workers when the cluster has GPUs (shared out
    evenly when there are more workers than GPUs), else CPU workers of ``threads`` CPUs each.

    Raises:
        WorkersUnavailable: more CPU workers asked for than the cluster's CPUs hold (they would wait forever).
    """
    gpus = cluster_gpus if config.use_gpus else 0.0
    default = int(gpus) if gpus >= 1 else int(cluster_cpus // threads)
    workers = max(1, min(config.workers or default, jobs))
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


class PoolWorker(Generic[Held, Job, Outcome]):
    """A Ray actor holding what ``load`` builds (the sequential run's loader), and applying ``work`` to one job at a time.

    It runs torch with ``threads`` CPU threads, the sequential run's count: on a CPU, features and
    scores depend on it in their last bits (the order of float sums), and so could a summary.
    """

    def __init__(self, load: Callable[[], Held | None], work: Callable[[Held, Job], Outcome], threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        messages = _Messages()
        root = logging.getLogger()
        level = root.level
        root.addHandler(messages)
        root.setLevel(logging.INFO)
        try:
            self.held = load()
        finally:
            root.removeHandler(messages)
            root.setLevel(level)
        self.work = work
        self.messages = messages.lines

    def ready(self) -> tuple[bool, list[tuple[int, str]]]:
        """Whether the networks loaded, and what the loader said (its error when they did not)."""
        return self.held is not None, self.messages

    def run(self, job: Job) -> Outcome:
        return self.work(self.held, job)


def run_on_ray(load: Callable[[], Held | None], work: Callable[[Held, Job], Outcome], jobs: Sequence[Job], config: PoolConfig,
               lost: Callable[[Job, str], Outcome], stop: Callable[[Outcome], bool] = lambda outcome: False) -> Iterator[Outcome]:
    """``work(held, job)`` for every job on a Ray worker, one outcome each as it finishes (not in the
    jobs' order); after an outcome for which ``stop`` is true (a full disk) no new job is started,
    and those in progress are waited for.

    Args:
        load: builds what the workers hold (the networks); pickled to the workers (a module-level
            function or a functools.partial of one), returns None after logging why it could not.
        work: the per-job function (module-level), run in a worker.
        lost: the outcome of a job whose worker process died, from the job and Ray's error.

    Raises:
        WorkersUnavailable: no worker could load the networks (no job was run).
    """
    import ray
    import torch

    threads = config.threads or torch.get_num_threads()
    with ray_session(config.address) as cluster:
        placement = place_workers(config, len(jobs), cluster.cpus, cluster.gpus, threads)
        log.info("Ray: %s; %d worker(s), %s each, %d torch thread(s) each", cluster.describe(), placement.workers,
                 f"{placement.gpus_per_worker:g} GPU" if placement.gpus_per_worker else f"{placement.cpus_per_worker} CPU(s)", threads)
        actor = ray.remote(PoolWorker).options(num_cpus=placement.cpus_per_worker, num_gpus=placement.gpus_per_worker,
                                               max_restarts=0, max_task_retries=0, runtime_env={"env_vars": WORKER_ENV})
        workers = [actor.remote(load, work, threads) for _ in range(placement.workers)]
        try:
            _check_loaded(ray, workers)
            yield from _stream(ray, workers, list(jobs), lambda: actor.remote(load, work, threads), lost, stop)
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


def _stream(ray: Any, workers: list, todo: list, replace_worker: Callable[[], Any], lost: Callable[[Any, str], Any],
            stop: Callable[[Any], bool]) -> Iterator[Any]:
    """Keep every worker busy with one job until none is left; outcomes as they come."""
    todo.reverse()  # popped from the end: the jobs' order
    running: dict[Any, tuple[Any, Any]] = {}

    def start(worker: Any) -> None:
        if todo:
            job = todo.pop()
            running[worker.run.remote(job)] = (worker, job)

    for worker in workers:
        start(worker)
    while running:
        [done], _ = ray.wait(list(running), num_returns=1)
        worker, job = running.pop(done)
        try:
            outcome = ray.get(done)
        except ray.exceptions.RayActorError as error:  # the worker process died with this job
            outcome = lost(job, str(error))
            workers[workers.index(worker)] = worker = replace_worker()
        yield outcome
        if stop(outcome):
            todo.clear()  # every later job would fail the same way; those running finish
        start(worker)
