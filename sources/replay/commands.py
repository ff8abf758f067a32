"""Mr.HiSum's and MoSu's route through the commands: what train.py, inference.py and ablate.py do with
--dataset MrHiSum or MoSu once their flags are checked (the hooks VideoXum's route has: sources/videoxum/commands.py).

The scripts reach this module through the source's declaration (``DataSource.route``); which of the two data
sets it serves is the request's --dataset. train.py claims the outputs and trains one run per seed (here, under
torchrun with the other ranks, or as Ray tasks); inference.py scores the test split under the chosen protocol
(--json, --report, --save-scores, --compare, --seeds); ablate.py trains and scores a grid (sources/replay/ablation.py).
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from config import TrainConfig
from dataset.replay import ReplaySplit
from engine.ablation.grid import Variant
from engine.ablation.grid_runs import VariantResult
from engine.run_outputs import ClaimedOutputs, Fallback
from engine.train.run_config import TrainingPlan
from sources import source_for
from sources.replay import REPLAY_SPLIT, ReplaySource
from sources.replay.data import ReplayData, ReplayRequest
from sources.source import RouteRequest

log = logging.getLogger(__name__)


def _source(request: RouteRequest) -> ReplaySource:
    source = source_for(request.dataset or "")
    if not isinstance(source, ReplaySource):
        raise TypeError(f"{source.name} is not a Most-replayed data set")
    return source


def _replay(request: RouteRequest) -> ReplayRequest:
    return ReplayRequest.from_data(_source(request), request.data)


def claim_training(request: RouteRequest, plan: TrainingPlan, seeds: list[int], main: bool) -> tuple[ReplayData, ClaimedOutputs]:
    """The three splits opened and checked, and every output claimed (only ``main`` writes: torchrun's rank 0)."""
    from sources.replay.training import claim_replay_outputs

    return claim_replay_outputs(request, plan, seeds, _replay(request), main=main)


def train(request: RouteRequest, plan: TrainingPlan, data: ReplayData, seeds: list[int], fallback: Fallback, device: torch.device | None) -> int:
    """One run per seed on the data set's split, in this process (torchrun: with the other ranks) or as Ray tasks."""
    from engine.train.fine_tune import check_init_weights
    from evaluation.replay_metrics import ReplayProtocol
    from sources.replay import training

    for path in check_init_weights(plan.sized_for(data.feature_dim), [REPLAY_SPLIT]):
        log.info("fine-tuning from %s (checked against the %s model)", path, plan.method)
    on_ray = request.sweep is not None
    where = f"Ray workers ({request.device or 'CUDA where the cluster has GPUs, else CPU'})" if on_ray else device
    protocol = ReplayProtocol(data.request.protocol)
    log.info("device: %s | %s | seed(s): %s", where, plan.describe(), " ".join(map(str, seeds)))
    log.info("protocol: %s; the epochs kept are its rule's on the validation split (checkpoints: %s), not the selection above",
             protocol.title, ", ".join(training.checkpoint_keys(protocol)))
    if on_ray:
        for result in training.train_replay_on_ray(request, plan, data, seeds, fallback):
            training.log_replay_result(result)
    else:
        for seed in seeds:
            training.log_replay_result(training.train_replay(data, plan.with_seed(seed), device, request.data.weights_dir, fallback,
                                                             seed_folder=len(seeds) > 1, resume=request.resume))
    return fallback.exit_status(log)


def evaluation(request: RouteRequest, seeds: list[int | None]) -> tuple[list[Path], Callable[[Fallback], int]]:
    """The test split and the weights files, read and checked now; the files read; and the work, to run once
    inference.py has claimed its outputs."""
    from evaluation.replay_metrics import ReplayProtocol
    from sources.replay.scoring import files_read, weights_files

    replay = _replay(request)
    protocol = ReplayProtocol(replay.protocol)
    test = replay.split(ReplaySplit.TEST)
    folders = [folder for _, folder in request.compare] if request.compare else [request.data.weights_dir]
    weights = weights_files(replay.name, folders, seeds)
    read = [*replay.input_files(), *files_read(weights, protocol)]
    return read, lambda fallback: _evaluate(request, replay, test, weights, fallback)


def _evaluate(request: RouteRequest, replay: ReplayRequest, test: object, weights: Sequence[object], fallback: Fallback) -> int:
    """Score every run, print the table, then write what was asked for."""
    from engine.reports.tables import write_report
    from engine.run_paths import REPORT_FILES
    from evaluation.replay_metrics import ReplayProtocol
    from models.method_choice import ModelChoice
    from models.methods import method_spec
    from sources.replay.outputs import comparison_table, replay_payload, report_markdown, write_score_file
    from sources.replay.scoring import evaluate_replay
    from utils import write_json_atomic
    from utils.runtime import select_device

    source = _source(request)
    device = select_device(request.device)
    protocol = ReplayProtocol(replay.protocol)
    if request.draws:
        return _evaluate_draws(request, replay, test, weights, protocol, device, fallback)
    flags = ({folder: ModelChoice(method, method_spec(method).default_config(), frozenset({"method"})) if method else request.model
              for method, folder in request.compare} if request.compare else {request.data.weights_dir: request.model})
    result = evaluate_replay(replay.name, test, weights, flags, protocol, device, replay.workers, request.save_scores is not None,
                             replay.files.synthetic())
    for runs in result.folders.values():
        for run in runs:
            log.info("%s%s (%s): %s", run.weights_path, f" (seed {run.seed})" if run.seed is not None else "", protocol.value,
                     " | ".join(f"{m} {v:.4f}" for m, v in run.test.items()))
    log.info("%s\n", comparison_table(result, source))
    command = shlex.join(["python", "inference.py", *request.command_line])
    if request.json:
        payload = replay_payload(result, source, command)
        log.info("wrote %s", fallback.write(request.json, lambda path: write_json_atomic(path, payload)))
    if request.save_scores:
        change_points = {test.keys[i]: test.labels(i).change_points for i in range(len(test))}
        log.info("wrote %s", fallback.write(request.save_scores, lambda path: write_score_file(path, result, change_points, command)))
    if request.report:
        payload = replay_payload(result, source, command, device)
        folder = fallback.write(request.report, lambda path: write_report(path, payload, report_markdown))
        log.info("wrote %s and %s", *(folder / name for name in REPORT_FILES))
    return fallback.exit_status(log)


def _evaluate_draws(request: RouteRequest, replay: ReplayRequest, test: object, weights: Sequence[object], protocol: object,
                    device: torch.device, fallback: Fallback) -> int:
    """--sample-seeds: the same weights scored once per sampling seed (a sampled method); each metric's mean ± std over the
    draws (each draw averaged over the training seeds) and, with several, over the training seeds (each averaged over
    its draws); --json keeps every draw."""
    from evaluation.replay_metrics import mean_over_videos
    from sources.replay.scoring import evaluate_replay
    from utils import write_json_atomic

    grid: dict[int | None, dict[int, dict[str, float]]] = {}  # training seed -> sampling seed -> the protocol's test numbers
    for draw in request.draws:
        result = evaluate_replay(replay.name, test, weights, {request.data.weights_dir: draw}, protocol, device, replay.workers, False,
                                 replay.files.synthetic())
        for run in result.folders[request.data.weights_dir]:
            grid.setdefault(run.seed, {})[draw.config.sample_seed] = run.test
            log.info("%s%s, sampling seed %d (%s): %s", run.weights_path, f" (seed {run.seed})" if run.seed is not None else "",
                     draw.config.sample_seed, protocol.value, " | ".join(f"{m} {v:.4f}" for m, v in run.test.items()))
    draws = [draw.config.sample_seed for draw in request.draws]
    over = {"sampling seeds": _spread({s: mean_over_videos([row[s] for row in grid.values()]) for s in draws})}
    if len(grid) > 1:
        over["training seeds"] = _spread({t: mean_over_videos(list(row.values())) for t, row in grid.items()})
    synthetic = "  [SYNTHETIC data, not the real benchmark]" if replay.files.synthetic() else ""
    metrics = list(next(iter(over.values()))["mean"])
    lines = [f"{replay.name}, {protocol.title}: mean over the test videos, then mean ± std over the draws{synthetic}",
             f"  {'over':<16}{'runs':>5}" + "".join(f"{m:>18}" for m in metrics) + "  seeds"]
    for label, spread in over.items():
        cells = [f"{spread['mean'][m]:.4f} ± {spread['std'][m]:.4f}" for m in metrics]
        lines.append(f"  {label:<16}{len(spread['seeds']):>5}" + "".join(f"{c:>18}" for c in cells) + "  " + " ".join(map(str, spread["seeds"])))
    log.info("%s\n", "\n".join(lines))
    if request.json:
        payload = {"dataset": replay.name, "protocol": protocol.value, "synthetic_data": replay.files.synthetic(),
                   "command": shlex.join(["python", "inference.py", *request.command_line]),
                   "draws": {str(t): {str(s): row[s] for s in draws} for t, row in grid.items()},
                   "across_sampling_seeds": over["sampling seeds"], "across_training_seeds": over.get("training seeds")}
        log.info("wrote %s", fallback.write(request.json, lambda path: write_json_atomic(path, payload)))
    return fallback.exit_status(log)


def _spread(values: dict) -> dict:
    """{key: {metric: value}} -> the keys, each metric's mean and sample std (ddof 1; 0 for one key)."""
    import numpy as np

    keys = list(values)
    table = {metric: np.array([values[key][metric] for key in keys], dtype=np.float64) for metric in values[keys[0]]}
    return {"seeds": keys, "mean": {m: float(v.mean()) for m, v in table.items()},
            "std": {m: float(v.std(ddof=1)) if len(keys) > 1 else 0.0 for m, v in table.items()},
            "std_convention": "sample standard deviation (ddof=1)"}


def ablation_inputs(request: RouteRequest, variants: Sequence[Variant], seeds: list[int]) -> tuple[ReplayData, list[Path], list[Path]]:
    """The three splits opened and checked, every run's weights path (split1.pt) and the files read; a variant that
    cannot take these features, or a run already there that was chosen under another protocol, is refused now."""
    from engine.ablation.grid import sized_variants
    from evaluation.replay_metrics import ReplayProtocol
    from sources.replay.ablation import check_existing_runs, replay_weights_path

    replay = _replay(request)
    data = replay.open()
    sized_variants(variants, data.feature_dim, replay.name)
    several = len(seeds) > 1
    weights = [replay_weights_path(v, request.data.weights_dir, replay.name, seed if several else None) for v in variants for seed in seeds]
    check_existing_runs(weights, ReplayProtocol(replay.protocol))
    return data, weights, replay.input_files()


def run_files(request: RouteRequest, weights: Path) -> list[Path]:
    """Every file one run writes, claimed before it trains: train.py's for split1.pt and the protocol's other kept
    checkpoints (Mr.HiSum's split1_map50.pt and split1_map15.pt)."""
    from engine.run_paths import training_outputs
    from evaluation.replay_metrics import ReplayProtocol
    from sources.replay.training import checkpoint_keys, checkpoint_path

    protocol = ReplayProtocol(_replay(request).protocol)
    return [*training_outputs(weights), *(checkpoint_path(weights, protocol, key) for key in checkpoint_keys(protocol)[1:])]


def ablate(variants: Sequence[Variant], data: ReplayData, seeds: list[int], train_cfg: TrainConfig, weights_dir: Path,
           device: torch.device, fallback: Fallback) -> list[VariantResult]:
    """Every variant trained where its weights are missing, then its kept checkpoints scored on the test split under the
    protocol (sources/replay/ablation.py)."""
    from sources.replay.ablation import ReplayAblationJob, run_replay_grid

    job = ReplayAblationJob(data, seeds, train_cfg, weights_dir, device)
    log.info("protocol: %s; the epochs kept are its rule's on the validation split", job.protocol.title)
    return run_replay_grid(variants, job, fallback)
