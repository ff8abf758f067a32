"""ablate.py --dataset VideoXum: the grid's CSTA variants on VideoXum's own split.

Each run is train.py --dataset VideoXum's (sources.videoxum.training.train_videoxum): the variant
sized to the feature dimension (engine.train.run_config.sized_for_features), trained on the train
split, its epoch chosen by CSTA's rule on the validation split (never on test labels), written as
<weights-dir>/ablation/<variant>/VideoXum/[seed<S>/]split1.pt with its record. A run whose weights
exist is not trained again. Every run's kept weights are then scored on the test split under the V2V
protocol (sources.videoxum.evaluation, as inference.py does), and the table's cell is the mean ± std
over seeds of F1 max, F1 mean, tau and rho; MACs are counted over the test videos' lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from config import ModelConfig
from engine.ablation.grid import Variant, sized_variants
from engine.ablation.grid_runs import DatasetCell, VariantResult
from engine.ablation.own_split import OwnSplitAblationJob, weights_per_seed
from engine.evaluate.complexity import count_parameters, meta_macs
from engine.evaluate.seed_spread import spread_over_seeds
from engine.run_outputs import Fallback
from engine.run_paths import weights_path_for
from engine.train.run_config import TrainingPlan
from evaluation.protocol import MeanMetrics
from models.backbone import BackboneInit
from models.csta import build_csta
from models.method_choice import ModelChoice
from sources.videoxum import VIDEOXUM, VIDEOXUM_SOURCE, VIDEOXUM_SPLIT
from sources.videoxum.data import VideoXumSplits
from sources.videoxum.evaluation import WeightsFile, evaluate_weights_file, spread_v2v
from sources.videoxum.training import train_videoxum


@dataclass(frozen=True)
class VideoXumAblationJob(OwnSplitAblationJob):
    data: VideoXumSplits

    def weights_path(self, variant: Variant, seed: int) -> Path:
        return videoxum_weights_path(variant, self.weights_dir, seed if self.seed_folders else None)

    def plan(self, variant: Variant, seed: int) -> TrainingPlan:
        """CSTA's protocol with the variant's options, its best-on-test rule moved to the validation split (VideoXumSource.plan_for)."""
        return VIDEOXUM_SOURCE.plan_for(TrainingPlan.from_train_config(replace(self.train_cfg, seed=seed), variant.config), None)


def videoxum_weights_path(variant: Variant, weights_dir: Path, seed: int | None) -> Path:
    return weights_path_for(variant.weights_dir(weights_dir), VIDEOXUM, VIDEOXUM_SPLIT, seed)


def run_videoxum_variant(variant: Variant, config: ModelConfig, job: VideoXumAblationJob, fallback: Fallback) -> VariantResult:
    """Train the variant's missing runs (one per seed), then score every run's weights on the test split."""
    test = job.data.test
    workers = job.data.files.workers
    paths, trained, skipped = weights_per_seed(variant, job, VIDEOXUM, lambda seed: train_videoxum(
        job.data, job.plan(variant, seed), job.device, variant.weights_dir(job.weights_dir), fallback, seed_folder=job.seed_folders))
    runs = [evaluate_weights_file(test, WeightsFile(variant.weights_dir(job.weights_dir), seed, path), ModelChoice("CSTA", config),
                                  job.device, workers) for seed, path in zip(job.seeds, paths, strict=True)]
    v2v = spread_v2v(job.seeds, [run.means for run in runs])
    # the columns every ablation table has (F1 = VideoXum's F1 mean, as the training record's metrics); F1 max beside it in v2v
    spread = spread_over_seeds(VIDEOXUM, {seed: MeanMetrics(run.means.f1_mean, run.means.kendall, run.means.spearman)
                                          for seed, run in zip(job.seeds, runs, strict=True)})
    macs = meta_macs(config, [int(n) for n in test.annotations.n_frames()])
    model = build_csta(BackboneInit.RANDOM, config)
    return VariantResult(variant, count_parameters(model), {VIDEOXUM: DatasetCell(spread, macs.mean, test.synthetic, v2v)}, trained, skipped)


def run_videoxum_grid(variants: Sequence[Variant], job: VideoXumAblationJob, fallback: Fallback) -> list[VariantResult]:
    """Every variant in grid order (a crash keeps the finished variants' weights)."""
    sized = sized_variants(variants, job.data.train.feature_dim(), VIDEOXUM)
    return [run_videoxum_variant(variant, sized[variant.name], job, fallback) for variant in variants]
