"""VideoXum's route through the commands: what train.py, inference.py and ablate.py do with --dataset
VideoXum once their flags are checked (the k-fold sources go through sources/folds.py instead).

The scripts reach this module through the source's declaration (``DataSource.route``), never by the
data set's name. Each step is the one the scripts take for SumMe and TVSum, on VideoXum's own
train/val/test split: train.py claims the outputs and trains one run per seed (here, under torchrun
with the other ranks, or as Ray tasks); inference.py scores the test split with the V2V protocol and
prints its table (--json, --report, --save-scores, --compare); ablate.py trains and scores a grid.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from config import TrainConfig
from engine.ablation.grid import Variant
from engine.ablation.grid_runs import VariantResult
from engine.run_outputs import ClaimedOutputs, Fallback
from engine.train.run_config import TrainingPlan
from sources.source import RouteRequest
from sources.videoxum import VIDEOXUM, VIDEOXUM_SPLIT
from sources.videoxum.data import VideoXumFiles, VideoXumSplits
from sources.videoxum.evaluation import WeightsFile

log = logging.getLogger(__name__)


def claim_training(request: RouteRequest, plan: TrainingPlan, seeds: list[int], main: bool) -> tuple[VideoXumSplits, ClaimedOutputs]:
    """The three splits opened and checked, and every output claimed (only ``main`` writes: torchrun's rank 0)."""
    from sources.videoxum.training import claim_videoxum_outputs

    return claim_videoxum_outputs(request, plan, seeds, main=main)


def train(request: RouteRequest, plan: TrainingPlan, data: VideoXumSplits, seeds: list[int], fallback: Fallback,
          device: torch.device | None) -> int:
    """One run per seed on VideoXum's split, in this process (torchrun: with the other ranks) or as Ray tasks."""
    from engine.train.fine_tune import check_init_weights
    from sources.videoxum import training

    for path in check_init_weights(plan.sized_for(data.train.feature_dim()), [VIDEOXUM_SPLIT]):
        log.info("fine-tuning from %s (checked against the %s model)", path, plan.method)
    on_ray = request.sweep is not None
    where = f"Ray workers ({request.device or 'CUDA where the cluster has GPUs, else CPU'})" if on_ray else device
    log.info("device: %s | %s | seed(s): %s", where, plan.describe(), " ".join(map(str, seeds)))
    if on_ray:  # the same runs as Ray tasks, the same files (engine/scale/ray_sweep.py)
        for result in training.train_videoxum_on_ray(request, plan, data, seeds, fallback):
            training.log_videoxum_result(result)
    else:
        for seed in seeds:
            training.log_videoxum_result(training.train_videoxum(data, plan.with_seed(seed), device, request.data.weights_dir, fallback,
                                                                 seed_folder=len(seeds) > 1, resume=request.resume))
    return fallback.exit_status(log)


def evaluation(request: RouteRequest, seeds: list[int | None]) -> tuple[list[Path], Callable[[Fallback], int]]:
    """The test split and the weights files, read and checked now; the files read; and the work, to run once
    inference.py has claimed its outputs."""
    from sources.videoxum.evaluation import videoxum_inputs

    folders = [folder for _, folder in request.compare] if request.compare else [request.data.weights_dir]
    test, files, read = videoxum_inputs(request.data.data_dir, request.option("features"), request.option("workers"), folders, seeds)
    return read, lambda fallback: _evaluate(request, test, files, fallback)


def _evaluate(request: RouteRequest, test: object, files: list[WeightsFile], fallback: Fallback) -> int:
    """Score every weights file, print the table, then write what was asked for."""
    from engine.reports.tables import write_report
    from engine.run_paths import REPORT_FILES
    from models.method_choice import ModelChoice
    from models.methods import method_spec
    from sources.videoxum.comparison import v2v_comparison, v2v_comparison_table
    from sources.videoxum.evaluation import evaluate_videoxum
    from sources.videoxum.report import videoxum_json, videoxum_report, videoxum_report_markdown
    from sources.videoxum.score_file import write_videoxum_score_file
    from utils import write_json_atomic
    from utils.runtime import select_device

    device = select_device(request.device)
    flags = ({folder: ModelChoice(method, method_spec(method).default_config(), frozenset({"method"})) if method else request.model
              for method, folder in request.compare} if request.compare else {request.data.weights_dir: request.model})
    result = evaluate_videoxum(test, files, flags, device, request.option("workers"))
    for folder in result.folders:
        for run in folder.runs:
            log.info("%s%s: F1 max %.2f | F1 mean %.2f | tau %.3f | rho %.3f", run.weights_path, f" (seed {run.seed})" if run.seed is not None else "",
                     run.means.f1_max, run.means.f1_mean, run.means.kendall, run.means.spearman)
    comparison = v2v_comparison(result)
    log.info("%s\n", v2v_comparison_table(comparison))
    command = shlex.join(["python", "inference.py", *request.command_line])
    if request.json:
        payload = videoxum_json(result, comparison, command)
        log.info("wrote %s", fallback.write(request.json, lambda path: write_json_atomic(path, payload)))
    if request.save_scores:
        log.info("wrote %s", fallback.write(request.save_scores, lambda path: write_videoxum_score_file(path, result, command)))
    if request.report:
        payload = videoxum_report(result, comparison, device, command)
        folder = fallback.write(request.report, lambda path: write_report(path, payload, videoxum_report_markdown))
        log.info("wrote %s and %s", *(folder / name for name in REPORT_FILES))
    return fallback.exit_status(log)


def run_files(request: RouteRequest, weights: Path) -> list[Path]:
    """Every file one run writes, claimed before it trains (train.py's for one split)."""
    from engine.run_paths import training_outputs

    return training_outputs(weights)


def ablation_inputs(request: RouteRequest, variants: Sequence[Variant], seeds: list[int]) -> tuple[VideoXumSplits, list[Path], list[Path]]:
    """The three splits (every feature file checked), every run's weights path and the files read; a variant
    that cannot take these features is refused now, before anything is trained."""
    from engine.ablation.grid import sized_variants
    from sources.videoxum.ablation import videoxum_weights_path

    data = VideoXumFiles(request.data.data_dir, request.option("features"), request.option("workers")).open()
    sized_variants(variants, data.train.feature_dim(), VIDEOXUM)
    several = len(seeds) > 1
    weights = [videoxum_weights_path(v, request.data.weights_dir, seed if several else None) for v in variants for seed in seeds]
    return data, weights, data.files.annotation_files()


def ablate(variants: Sequence[Variant], data: VideoXumSplits, seeds: list[int], train_cfg: TrainConfig, weights_dir: Path,
           device: torch.device, fallback: Fallback) -> list[VariantResult]:
    """Every variant trained where its weights are missing, then scored on the test split (sources/videoxum/ablation.py)."""
    from sources.videoxum.ablation import VideoXumAblationJob, run_videoxum_grid

    return run_videoxum_grid(variants, VideoXumAblationJob(data, seeds, train_cfg, weights_dir, device), fallback)
