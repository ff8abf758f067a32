"""train.py --ray: the command's runs as one Ray sweep (engine.sweep), then the same tables as the
sequential command (per seed, then mean ± std over seeds)."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace

from config import TrainConfig
from dataset.benchmark import Benchmark
from dataset.splits import Split
from engine.outputs import Fallback
from engine.report import labels, training_table
from engine.seeds import seeds_table, spread_over_seeds
from engine.sweep import RunJob, SweepConfig, run_sweep
from engine.training import SplitTraining, trunk_init
from evaluation.protocol import mean_metrics
from models.backbone import BackboneInit, BackboneOrigin, BackboneWeightsUnavailable, build_googlenet, trunk_origin

log = logging.getLogger("train")

RAY_DEVICES = ("cpu", "cuda")  # with Ray a worker's GPU is the one Ray gives it: no index


def sweep_jobs(args: argparse.Namespace, datasets: list, seeds: list[int], train_cfg: TrainConfig) -> list[RunJob]:
    """The runs in the sequential command's order: seed by seed, dataset by dataset, split by split."""
    several = len(seeds) > 1
    return [RunJob(spec, split, replace(train_cfg, seed=seed), args.data_dir, args.weights_dir, seed_folder=several)
            for seed in seeds for spec, _, splits in datasets for split in splits]


def train_sweep(args: argparse.Namespace, datasets: list[tuple[object, Benchmark, list[Split]]], seeds: list[int],
                fallback: Fallback) -> int:
    """Train every run of the command as a Ray task; the exit status as train.py's.

    Args:
        datasets: (spec, benchmark, splits) per dataset, read and checked by the command.
        fallback: the command's; the files workers had to keep elsewhere are added to it.

    Raises:
        ProjectError: a run failed (engine.sweep.SweepFailed) or cannot be placed on the cluster.
    """
    if args.device is not None and args.device not in RAY_DEVICES:
        log.error("error: with Ray, --device is cpu or cuda (each run gets its GPU from Ray), not %r", args.device)
        return 2
    train_cfg = TrainConfig(epochs=args.epochs, seed=seeds[0], imagenet_init=not args.random_init)
    if train_cfg.imagenet_init:
        try:
            build_googlenet(BackboneInit.IMAGENET)  # fail now, not in every worker
        except BackboneWeightsUnavailable as error:
            log.error("error: %s\nOr train from a randomly initialised trunk with --random-init (not the paper's setting).", error)
            return 2
    origin = trunk_origin(trunk_init(train_cfg))
    log.info("epochs: %d | seed(s): %s | trunk: %s", train_cfg.epochs, " ".join(map(str, seeds)), origin.description)
    config = SweepConfig(address=args.ray_address, cpus_per_run=args.cpus_per_run or 1.0, gpus_per_run=args.gpus_per_run, device=args.device)
    jobs = sweep_jobs(args, datasets, seeds, train_cfg)
    outcomes = run_sweep(jobs, config)

    results: dict[int, list[SplitTraining]] = {seed: [] for seed in seeds}
    for job, outcome in zip(jobs, outcomes, strict=True):
        results[job.train_cfg.seed].append(outcome.training)
        fallback.kept.extend(outcome.kept)
    synthetic = {spec.name: benchmark.synthetic for spec, benchmark, _ in datasets}
    stand_in = origin is BackboneOrigin.STAND_IN
    several = len(seeds) > 1
    for seed in seeds:
        title = f"Test metrics of the kept epochs (seed {seed})" if several else "Test metrics of the kept epochs"
        log.info("\n%s:\n%s", title, training_table(results[seed], synthetic, stand_in))
    if several:
        spreads = [spread_over_seeds(spec.name, {seed: mean_metrics([r.metrics for r in runs if r.dataset == spec.name])
                                                 for seed, runs in results.items()}) for spec, _, _ in datasets]
        log.info("\nMean over splits, then mean ± std over %d seeds:\n%s", len(seeds), seeds_table(spreads, labels(any(synthetic.values()), stand_in).strip()))
    if fallback.kept:
        log.warning("\n%d file(s) could not be written where asked and were kept elsewhere (move them where they belong):\n%s",
                    len(fallback.kept), fallback.summary())
        return 1
    return 0
