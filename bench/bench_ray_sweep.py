"""Runs per hour of a training sweep, sequential against a local Ray, and what Ray itself costs.

    python bench/bench_ray_sweep.py --data-dir /tmp/syn --seeds 1 2 --splits 1 2 --epochs 1 [--sequential-threads 1]

The same runs (seeds x splits of one dataset) are trained twice: one after another in this process
(engine.scale.ray_sweep.run_job, torch's default thread count as train.py, or --sequential-threads), then as Ray tasks on a
local Ray started here (engine.scale.ray_sweep.run_sweep, one CPU and one torch thread per run). Meanwhile
the resident memory of this process and of every process it started (Ray's services and workers)
is sampled from /proc: its peak says whether a sweep's memory stays bounded (one model per worker).
Ray's own costs are timed apart: starting Ray, a first task (a worker process starting), later
empty tasks, and bringing back a task's result (a run's outcome; a model's weights, for scale).
RSS sums count pages shared between processes more than once: an upper bound.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import threading
import time
from dataclasses import replace
from pathlib import Path

import torch

from config import DATASETS, TrainConfig
from dataset import load_benchmark, read_splits, select_splits
from engine.scale.ray_sweep import RunJob, SweepConfig, run_job, run_sweep
from engine.train.run_config import TrainingPlan
from models.backbone import BackboneInit
from models.csta import build_csta
from utils.cluster import WORKER_ENV

PAGE = os.sysconf("SC_PAGE_SIZE")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=list(DATASETS), default="SumMe")
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with the dataset's h5 file (e.g. from cli.synthetic_data)")
    parser.add_argument("--splits-file", type=Path, help="splits file (default: the official one)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--splits", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--sequential-threads", type=int, help="torch threads of the sequential loop (default: torch's, as train.py)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_ray_sweep"), help="weights folder (two subfolders)")
    return parser.parse_args(argv)


class MemorySampler:
    """Peak RSS of this process plus its descendants, and of the largest single Ray worker, every 0.25 s."""

    def __init__(self) -> None:
        self.peak_total = 0
        self.peak_worker = 0
        self.workers: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            total = 0
            for pid, rss, name in _family(os.getpid()):
                total += rss
                if name.startswith("ray::"):
                    self.workers.add(pid)
                    self.peak_worker = max(self.peak_worker, rss)
            self.peak_total = max(self.peak_total, total)


def _family(root: int) -> list[tuple[int, int, str]]:
    """(pid, RSS bytes, command line) of ``root`` and every process below it."""
    parents, info = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                name = cmd.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        info[pid] = (int(fields[21]) * PAGE, name)
    family, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier and pid not in family]
        family.update(children)
        frontier = children
    return [(pid, *info[pid]) for pid in family if pid in info]


def _rss(pid: int) -> int:
    return next((rss for p, rss, _ in _family(pid) if p == pid), 0)


def noop() -> int:
    return 0


def weights_of_a_model() -> dict:
    return build_csta(BackboneInit.RANDOM).state_dict()


def ray_costs() -> None:
    """Start, first task, later tasks, and transfers, on a Ray started for this alone."""
    import ray

    started = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False)
    print(f"ray.init (local, {ray.cluster_resources().get('CPU', 0):g} CPUs): {time.perf_counter() - started:.2f} s")
    task = ray.remote(noop).options(num_cpus=1, runtime_env={"env_vars": WORKER_ENV})
    started = time.perf_counter()
    ray.get(task.remote())
    print(f"first empty task (a worker process starts): {time.perf_counter() - started:.2f} s")
    times = []
    for _ in range(30):
        started = time.perf_counter()
        ray.get(task.remote())
        times.append(time.perf_counter() - started)
    print(f"later empty tasks: median {statistics.median(times) * 1000:.1f} ms (30 calls, one at a time)")
    weights = ray.remote(weights_of_a_model).options(num_cpus=1, runtime_env={"env_vars": WORKER_ENV})
    ray.get(weights.remote())  # warm
    times = []
    for _ in range(5):
        started = time.perf_counter()
        state = ray.get(weights.remote())
        times.append(time.perf_counter() - started)
    size = sum(t.numel() * t.element_size() for t in state.values())
    print(f"a task returning a CSTA state dict ({size / 2**20:.1f} MiB; includes building the model): median {statistics.median(times):.2f} s")
    ray.shutdown()


def main(args: argparse.Namespace) -> None:
    spec = DATASETS[args.dataset]
    splits_path = args.splits_file or spec.splits_path()
    splits = select_splits(read_splits(splits_path, spec), args.splits, splits_path)
    benchmark = load_benchmark(spec, args.data_dir)
    steps = sum(benchmark.videos[key].n_steps for key in splits[0].train_keys)
    cfg = TrainConfig(epochs=args.epochs, imagenet_init=False)
    jobs = [RunJob(spec, split, TrainingPlan.from_train_config(replace(cfg, seed=seed)), args.data_dir, args.out, seed_folder=len(args.seeds) > 1)
            for seed in args.seeds for split in splits]
    label = " (SYNTHETIC data)" if benchmark.synthetic else ""
    print(f"{spec.name}{label}: {len(jobs)} runs of {args.epochs} epoch(s), split {splits[0].number} has "
          f"{len(splits[0].train_keys)} training videos ({steps} steps); {os.cpu_count()} CPUs; torch {torch.__version__}")

    default_threads = torch.get_num_threads()
    threads = args.sequential_threads or default_threads
    with MemorySampler() as memory:
        started = time.perf_counter()
        for job in jobs:
            run_job(replace(job, weights_dir=args.out / "sequential", threads=threads))
        sequential = time.perf_counter() - started
    print(f"sequential ({threads} torch threads): {sequential:.1f} s, {len(jobs) / sequential * 3600:.0f} runs/hour, "
          f"peak RSS {memory.peak_total / 2**20:.0f} MiB")

    torch.set_num_threads(default_threads)
    with MemorySampler() as memory:
        started = time.perf_counter()
        outcomes = run_sweep([replace(job, weights_dir=args.out / "ray") for job in jobs], SweepConfig(cpus_per_run=1, progress=False))
        on_ray = time.perf_counter() - started
    print(f"local Ray (1 CPU, 1 thread per run; includes starting and stopping Ray): {on_ray:.1f} s, "
          f"{len(jobs) / on_ray * 3600:.0f} runs/hour, peak RSS of this process + Ray's {memory.peak_total / 2**20:.0f} MiB, "
          f"largest worker {memory.peak_worker / 2**20:.0f} MiB, {len(memory.workers)} worker process(es)")
    print(f"a run's outcome as returned: {len(pickle.dumps(outcomes[0])) / 1024:.1f} KiB pickled")
    ray_costs()


if __name__ == "__main__":
    main(parse_args())
