"""ablate.py --dataset MrHiSum or MoSu: the grid's CSTA variants on the data set's own train/val/test split.

Each run is train.py's on that data set (sources.replay.training.train_replay): the variant sized to the features'
width, trained on the train split, its epochs kept by the chosen protocol's rule on the validation split (never on
test labels), written as <weights-dir>/ablation/<variant>/<name>/[seed<S>/]split1.pt with the protocol's other
checkpoints beside it (Mr.HiSum's split1_map50.pt and split1_map15.pt) and its record. A run whose weights exist is
not trained again, but it must have been chosen under the same protocol. Every run's kept checkpoints are then scored
on the test split as inference.py scores them (sources.replay.scoring.score_run: each metric from the checkpoint the
protocol keeps for it), and the table's cells for the data set are the protocol's metrics, mean ± std over seeds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from config import ModelConfig
from engine.ablation.grid import GridError, Variant, sized_variants
from engine.ablation.grid_runs import DatasetCell, ProtocolSpread, VariantResult
from engine.ablation.own_split import OwnSplitAblationJob, weights_per_seed
from engine.evaluate.complexity import count_parameters, meta_macs
from engine.run_outputs import Fallback
from engine.run_paths import record_path_for, weights_path_for
from engine.train.run_config import TrainingPlan
from evaluation.replay_metrics import ReplayProtocol
from models.backbone import BackboneInit
from models.csta import build_csta
from models.method_choice import ModelChoice
from sources.replay import REPLAY_SPLIT
from sources.replay.data import ReplayData
from sources.replay.scoring import ReplayWeights, score_run
from sources.replay.training import checkpoint_for_metric, train_replay


@dataclass(frozen=True)
class ReplayAblationJob(OwnSplitAblationJob):
    data: ReplayData

    @property
    def protocol(self) -> ReplayProtocol:
        return ReplayProtocol(self.data.request.protocol)

    def weights_path(self, variant: Variant, seed: int) -> Path:
        return replay_weights_path(variant, self.weights_dir, self.data.request.name, seed if self.seed_folders else None)

    def plan(self, variant: Variant, seed: int) -> TrainingPlan:
        """CSTA's protocol with the variant's options, its epochs chosen on validation (ReplaySource.plan_for)."""
        return self.data.request.source.plan_for(TrainingPlan.from_train_config(replace(self.train_cfg, seed=seed), variant.config), None)


def replay_weights_path(variant: Variant, weights_dir: Path, name: str, seed: int | None) -> Path:
    return weights_path_for(variant.weights_dir(weights_dir), name, REPLAY_SPLIT, seed)


def check_existing_runs(weights: Sequence[Path], protocol: ReplayProtocol) -> None:
    """Weights already there are reused only when their epochs were chosen under ``protocol``: another protocol's run
    keeps other checkpoints, and its numbers would not be this table's.

    Raises:
        GridError: a run without its record, or chosen under another protocol (the file, and what to do).
    """
    for path in weights:
        if not path.is_file():
            continue
        record = record_path_for(path)
        try:
            chosen_under = json.loads(record.read_text(encoding="utf-8")).get("evaluation_protocol")
        except (OSError, ValueError) as error:
            raise GridError(f"{path} exists but its record {record} cannot be read ({error}); the table needs the protocol its "
                            f"checkpoints were chosen under: remove the run to train it again, or give another --weights-dir") from error
        if chosen_under != protocol.value:
            raise GridError(f"{path} was chosen under the {chosen_under} protocol, and this table is under {protocol.value}: give "
                            f"--protocol {chosen_under}, or another --weights-dir for the {protocol.value} runs")


def run_replay_variant(variant: Variant, config: ModelConfig, job: ReplayAblationJob, fallback: Fallback) -> VariantResult:
    """Train the variant's missing runs (one per seed), then score every run's kept checkpoints on the test split."""
    data, protocol, name = job.data, job.protocol, job.data.request.name
    paths, trained, skipped = weights_per_seed(variant, job, name, lambda seed: train_replay(
        data, job.plan(variant, seed), job.device, variant.weights_dir(job.weights_dir), fallback, seed_folder=job.seed_folders),
        f" ({protocol.value})")
    per_seed = []
    for seed, path in zip(job.seeds, paths, strict=True):
        weights = ReplayWeights(variant.weights_dir(job.weights_dir), seed if job.seed_folders else None, path)
        run = score_run(data.test, weights, ModelChoice("CSTA", config), protocol, job.device, data.request.workers, keep_scores=False)
        if run.note:  # check_existing_runs refuses these before any work; a run just trained always has its record
            raise GridError(f"{path}: {run.note}")
        per_seed.append(run.test)
    checkpoints = {metric: checkpoint_for_metric(protocol, metric) for metric in protocol.metrics}
    spread = ProtocolSpread(protocol.value, protocol.title, protocol.metrics, tuple(job.seeds), tuple(per_seed), checkpoints)
    macs = meta_macs(config, [int(n) for n in data.test.index.lengths])
    with torch.device("meta"):  # the shapes only: counting needs no weights
        model = build_csta(BackboneInit.RANDOM, config)
    return VariantResult(variant, count_parameters(model), {name: DatasetCell(None, macs.mean, data.synthetic, protocol=spread)},
                         trained, skipped)


def run_replay_grid(variants: Sequence[Variant], job: ReplayAblationJob, fallback: Fallback) -> list[VariantResult]:
    """Every variant in grid order (a crash keeps the finished variants' weights)."""
    sized = sized_variants(variants, job.data.feature_dim, job.data.request.name)
    return [run_replay_variant(variant, sized[variant.name], job, fallback) for variant in variants]
