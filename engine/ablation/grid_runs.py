"""Training a grid of variants (of any method in models.methods.METHODS) on every split and seed, and measuring
each for the ablation table.

A variant trains with its method's authors' protocol (models.methods.MethodSpec.protocol: learning rate,
weight decay, videos per step, epoch rule, each data set's values) with the grid's epochs and seed, and is
built, evaluated and measured as the registry builds it for each data set.

Each variant's runs live in their own folder (``Variant.weights_dir``), in train.py's layout, with
the record train_split writes. A run whose weights file exists is not trained again: its weights
are evaluated like a new run's, so that every cell of the table comes from the weights on disk,
on the exact scoring route (the numbers train.py and inference.py would give).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from config import TrainConfig
from dataset.benchmark import Benchmark
from dataset.splits import Split
from engine.ablation.grid import Variant
from engine.evaluate.complexity import ParameterCount, count_parameters, meta_macs
from engine.evaluate.model_scores import ScoringRoute, evaluate_model, to_device
from engine.evaluate.seed_spread import SeedSpread, spread_over_seeds
from engine.run_outputs import Fallback
from engine.run_paths import weights_path_for
from engine.scale.ray_sweep import RunJob, SweepConfig, run_sweep
from engine.train.run_config import ProtocolOverrides, TrainingPlan
from evaluation.protocol import MeanMetrics, mean_metrics
from models.checkpoint import load_checkpoint
from models.methods import method_spec

if TYPE_CHECKING:  # a source's own spread of numbers (VideoXum's V2V), filled in by its ablation route
    from sources.videoxum.evaluation import V2VSpread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AblationJob:
    """What the grid runs on: datasets with their splits, seeds, the training protocol, where weights go."""

    data: Sequence[tuple[Benchmark, Sequence[Split]]]
    seeds: Sequence[int]
    train_cfg: TrainConfig  # its seed is replaced by each of ``seeds``; its epochs and imagenet_init hold for every method
    weights_dir: Path
    device: torch.device
    route: ScoringRoute = ScoringRoute.EXACT  # how the weights are evaluated for the table
    epochs_given: bool = True  # False: each method trains for its authors' epochs (train_cfg.epochs is CSTA's then)

    @property
    def seed_folders(self) -> bool:
        """Several seeds: <dataset>/seed<S>/split<k>.pt (train.py's layout)."""
        return len(self.seeds) > 1

    def weights_path(self, variant: Variant, dataset: str, split: int, seed: int) -> Path:
        return weights_path_for(variant.weights_dir(self.weights_dir), dataset, split, seed if self.seed_folders else None)

    def plan(self, variant: Variant, seed: int) -> TrainingPlan:
        """The variant's training: its method's authors' protocol and epoch rule, with the grid's epochs and ``seed``;
        --random-init concerns the methods with a CNN trunk only."""
        spec = method_spec(variant.method)
        overrides = ProtocolOverrides(epochs=self.train_cfg.epochs if self.epochs_given else None, seed=seed)
        imagenet_init = self.train_cfg.imagenet_init or not spec.uses_backbone
        return TrainingPlan(spec.name, variant.config, overrides.apply(spec.protocol), spec.selection, imagenet_init).check()

    def runs(self, variant: Variant) -> list[tuple[Benchmark, Split, int, Path]]:
        """Every (dataset, split, seed) run of a variant with its weights path."""
        return [(benchmark, split, seed, self.weights_path(variant, benchmark.spec.name, split.number, seed))
                for seed in self.seeds for benchmark, splits in self.data for split in splits]


@dataclass(frozen=True)
class ProtocolSpread:
    """A data set scored under its own named protocol (Mr.HiSum's or TripleSumm's on the Most-replayed sets): each of
    the protocol's metrics over seeds, each from the checkpoint the protocol keeps for it. Its metrics are the table's
    columns for that data set, in the protocol's order, in place of F1/tau/rho."""

    protocol: str  # the protocol's name (evaluation/replay_metrics.ReplayProtocol's value)
    title: str  # the protocol in words, for the table's note
    metrics: tuple[str, ...]  # in report order
    seeds: tuple[int, ...]
    per_seed: tuple[dict[str, float], ...]  # each seed's test numbers
    checkpoints: dict[str, str]  # metric -> the kept checkpoint its number comes from

    @property
    def mean(self) -> dict[str, float]:
        return {m: float(np.mean([run[m] for run in self.per_seed])) for m in self.metrics}

    @property
    def std(self) -> dict[str, float]:
        """Sample standard deviation over seeds (ddof 1); 0 for one seed."""
        several = len(self.per_seed) > 1
        return {m: float(np.std([run[m] for run in self.per_seed], ddof=1)) if several else 0.0 for m in self.metrics}

    def as_dict(self) -> dict:
        return {"protocol": self.protocol, "protocol_title": self.title, "metrics": list(self.metrics), "seeds": list(self.seeds),
                "per_seed": [dict(run) for run in self.per_seed], "mean": self.mean, "std": self.std,
                "std_convention": "sample standard deviation over seeds (ddof=1)", "checkpoint_of_each_metric": dict(self.checkpoints)}


@dataclass(frozen=True)
class DatasetCell:
    spread: SeedSpread | None  # mean and std over seeds of the mean over splits; None where ``protocol`` gives the numbers
    mean_macs: float  # per score prediction, over the dataset's videos
    synthetic: bool
    v2v: V2VSpread | None = None  # VideoXum (sources.videoxum.ablation): every V2V number over seeds; F1 max and mean in the table
    protocol: ProtocolSpread | None = None  # Mr.HiSum, MoSu (sources.replay.ablation): the protocol's own metrics, the table's columns

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.protocol.seeds if self.protocol is not None else self.spread.seeds


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    parameters: ParameterCount
    datasets: dict[str, DatasetCell]
    trained: int  # runs trained now
    skipped: int  # runs whose weights existed


def train_run(benchmark: Benchmark, split: Split, plan: TrainingPlan, device: torch.device, variant_dir: Path,
              variant: Variant, seed_folder: bool, fallback: Fallback | None) -> Path:
    """Train one run of ``variant`` as ``plan`` says; returns where its weights are. The only call into engine/train/loop.py."""
    from engine.train.loop import train_method_split

    log.debug("%s: %s", variant.name, plan.describe([benchmark.spec.name]))
    result = train_method_split(benchmark, split, plan, device, variant_dir, seed_folder=seed_folder, fallback=fallback)
    return Path(result.weights_path)


def train_missing_on_ray(variants: Sequence[Variant], job: AblationJob, sweep: SweepConfig, fallback: Fallback | None) -> set[Path]:
    """Every missing run of every variant as one Ray sweep (engine.scale.ray_sweep: the same run function and
    files as train.py --ray); returns the weights paths trained, for run_variant's counts."""
    runs = [(variant, benchmark, split, seed, path) for variant in variants for benchmark, split, seed, path in job.runs(variant)
            if not path.is_file()]
    if not runs:
        return set()
    log.info("training %d run(s) of %d variant(s) on Ray", len(runs), len(variants))
    jobs = [RunJob(benchmark.spec, split, job.plan(variant, seed), benchmark.h5_path.parent, variant.weights_dir(job.weights_dir), seed_folder=job.seed_folders)
            for variant, benchmark, split, seed, _ in runs]
    outcomes = run_sweep(jobs, sweep)
    if fallback is not None:
        for outcome in outcomes:
            fallback.kept.extend(outcome.kept)
    return {path for *_, path in runs}


def run_variant(variant: Variant, job: AblationJob, fallback: Fallback | None = None, trained_elsewhere: set[Path] = frozenset()) -> VariantResult:
    """Train the variant's missing runs, then evaluate every run's weights and measure the model.

    Args:
        trained_elsewhere: weights paths trained just before (on Ray), counted as trained now.
    """
    per_seed: dict[str, dict[int, list[MeanMetrics]]] = {b.spec.name: {s: [] for s in job.seeds} for b, _ in job.data}
    spec = method_spec(variant.method)
    configs = {b.spec.name: spec.options_for(variant.config, b.spec.name) for b, _ in job.data}  # SummDiff's differ per data set
    models = {name: spec.build(config, None, job.device) for name, config in configs.items()}  # every tensor comes from a weights file
    trained = skipped = 0
    for benchmark, split, seed, path in job.runs(variant):
        name = benchmark.spec.name
        if path in trained_elsewhere:
            trained += 1
        elif path.is_file():
            log.info("%s: %s split %d seed %d: weights exist, not trained again (%s)", variant.name, name, split.number, seed, path)
            skipped += 1
        else:
            log.info("%s: training %s split %d seed %d", variant.name, name, split.number, seed)
            path = train_run(benchmark, split, job.plan(variant, seed), job.device, variant.weights_dir(job.weights_dir), variant,
                             job.seed_folders, fallback)
            trained += 1
        load_checkpoint(models[name], path)
        videos = to_device(benchmark.subset(split.test_keys), job.device)
        per_seed[name][seed].append(mean_metrics(evaluate_model(models[name], videos, benchmark.spec, job.route)))
    datasets = {}
    for benchmark, _ in job.data:
        name = benchmark.spec.name
        spread = spread_over_seeds(name, {seed: mean_metrics(runs) for seed, runs in per_seed[name].items()})
        macs = meta_macs(configs[name], [video.n_steps for video in benchmark.videos.values()], variant.method)
        datasets[name] = DatasetCell(spread, macs.mean, benchmark.synthetic)
    # one count per variant: the first data set's model (SummDiff's denoiser blocks differ between SumMe and TVSum)
    return VariantResult(variant, count_parameters(next(iter(models.values()))), datasets, trained, skipped)


def run_grid(variants: Sequence[Variant], job: AblationJob, fallback: Fallback | None = None,
             sweep: SweepConfig | None = None) -> list[VariantResult]:
    """Every variant in grid order (one after another: a crash keeps the finished variants' weights).

    Args:
        sweep: train every missing run first as one Ray sweep (ablate.py --ray), then evaluate.
    """
    trained = train_missing_on_ray(variants, job, sweep, fallback) if sweep is not None else set()
    return [run_variant(variant, job, fallback, trained) for variant in variants]
