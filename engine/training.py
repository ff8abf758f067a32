"""Training one split with a method's protocol: one loop for CSTA, PGL-SUM and CA-SUM.

What differs between methods (the model, its loss, how many videos make one optimiser step, the
gradient clipping, the video order, the epoch rule, CA-SUM's sigma sweep) comes from the run's
TrainingPlan, built from the method's MethodSpec (models/methods.py); nothing here asks for a
method by name. With CSTA's released configuration and the paper's protocol this is the loop of
the paper's reference (one video per step, best epoch on the test tau and rho), bit for bit.

Every run is resumable (engine/resume.py): a checkpoint after each epoch (one per sigma for CA-SUM)
lets the same command continue a killed run and skip a finished one. Under torchrun
(engine/distributed.py) every rank calls train_method_split; rank 0 evaluates and writes.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from config import ModelConfig, TrainConfig
from dataset.benchmark import Benchmark
from dataset.splits import Split
from engine import distributed
from engine.board import EpochBoard, run_folder
from engine.cli import ResumePolicy
from engine.fine_tune import init_record, start_from_init
from engine.layout import curve_path_for, record_path_for, weights_path_for
from engine.method_training import EpochSteps, RuleKeeper, epoch_order, train_epoch
from engine.outputs import Fallback
from engine.plots import plot_training_curve
from engine.resume import RunSession, run_fingerprint
from engine.scoring import DeviceVideo, evaluate_model, to_device
from engine.training_plan import TrainingPlan
from evaluation.protocol import MeanMetrics, mean_metrics
from models.backbone import BackboneInit, trunk_origin
from models.checkpoint import save_checkpoint
from models.csta import predict_scores
from models.methods import choose_length_factor, length_improvement
from utils import write_json_atomic
from utils.runtime import seed_everything

log = logging.getLogger(__name__)

__all__ = ["EpochRecord", "LengthFactorRun", "SplitTraining", "TrainingPlan", "read_training_record", "train_epoch",
           "train_method_split", "train_split", "training_record", "trunk_init"]


@dataclass
class EpochRecord:
    epoch: int  # counts from 1
    loss: float  # mean training loss over the epoch's videos (CSTA, PGL-SUM: MSE; CA-SUM: length regularisation)
    f1: float
    kendall: float
    spearman: float
    kept: bool  # the epoch rule held this epoch's weights when it was trained (best on test: it was the best so far)


@dataclass
class LengthFactorRun:
    """One training run of a split (CA-SUM: one per sigma), with the epoch its rule chose."""

    length_factor: float | None  # CA-SUM's sigma; None for a loss without one
    best_epoch: int
    metrics: MeanMetrics  # of the chosen epoch, on the split's test videos
    history: list[EpochRecord]
    rule_chose: bool  # False: the rule found no epoch (no finite test tau and rho) and the last epoch was kept
    improvement: float | None = None  # CA-SUM: how far training moved the mean score towards sigma (from an untrained model)
    state: dict[str, torch.Tensor] | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        return {"length_factor": self.length_factor, "best_epoch": self.best_epoch, "metrics": self.metrics.as_dict(),
                "rule_chose": self.rule_chose, "improvement": self.improvement, "history": [asdict(r) for r in self.history]}


@dataclass
class SplitTraining:
    dataset: str
    split: int
    weights_path: Path
    best_epoch: int
    metrics: MeanMetrics  # of the kept epoch, on the split's test videos
    history: list[EpochRecord] = field(default_factory=list)
    plan: TrainingPlan | None = None  # how it was trained
    runs: list[LengthFactorRun] = field(default_factory=list)  # CA-SUM's sweep: one per sigma, the chosen one among them
    length_factor: float | None = None  # the sigma of the kept weights

    @property
    def rule_label(self) -> str:
        """Which rule chose the epoch, and whether it looked at test labels (for tables)."""
        return self.plan.rule.label if self.plan is not None else "not recorded"


def trunk_init(train_cfg: TrainConfig | TrainingPlan) -> BackboneInit:
    return BackboneInit.IMAGENET if train_cfg.imagenet_init else BackboneInit.RANDOM


def _write_in_place(path: Path, writer: Callable[[Path], object]) -> Path:
    writer(path)
    return path


def _mean_scores(model: nn.Module, videos: Sequence[DeviceVideo]) -> list[float]:
    """Each video's mean predicted score (eval mode): what CA-SUM's choice among sigmas compares."""
    return [float(predict_scores(model, video.features).mean()) for video in videos]


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {key: copy.deepcopy(value.detach()).cpu() for key, value in model.state_dict().items()}


def _epoch(model: nn.Module, trainer: nn.Module, optimizer: torch.optim.Optimizer, videos: list[DeviceVideo], steps: EpochSteps) -> float:
    """One epoch: alone, or shared out over torchrun's ranks (rank 0 draws the order as a lone process would)."""
    if not distributed.current().active:
        return train_epoch(model, optimizer, videos, steps)
    return distributed.train_epoch(trainer, optimizer, videos, steps.loss, steps.videos_per_step, steps.grad_clip_norm,
                                   steps.length_factor, draw_order=lambda n: epoch_order(steps.shuffle, n),
                                   loss_average=steps.loss_average)


def _train_run(benchmark: Benchmark, split: Split, plan: TrainingPlan, device: torch.device, train_videos: list[DeviceVideo],
               test_videos: list[DeviceVideo], length_factor: float | None, board_folder: Path | None,
               session: RunSession) -> LengthFactorRun:
    """Train a fresh model once (seeded as its authors do) and keep the epoch its rule chooses.

    Every epoch: one pass over the training videos as the method steps through them, then the
    test videos' metrics (rank 0), then the rule's keeper, the TensorBoard scalars and the run's
    checkpoint. A run with a checkpoint of this very command goes on after its last finished epoch.
    """
    name, spec, protocol = benchmark.spec.name, plan.spec, plan.protocol
    ranks = distributed.current()
    seed_everything(protocol.seed)  # per run, so one split trains the same alone or in a batch
    model = spec.build(plan.model_config, trunk_init(plan) if spec.uses_backbone else None, device)
    start_from_init(model, plan, split.number)  # --init: fine-tune from given weights
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.learning_rate, weight_decay=protocol.weight_decay)
    trainer = distributed.wrap(model, device)  # DistributedDataParallel under torchrun, else the model itself
    steps = EpochSteps(spec.loss, protocol.videos_per_step_for(name), protocol.grad_clip_norm, protocol.shuffle, length_factor,
                       protocol.loss_average)
    # from the fresh model (eval mode draws nothing), so a resumed run compares with the same untrained scores
    untrained = _mean_scores(model, test_videos) if length_factor is not None else None

    keeper = RuleKeeper(plan.rule)
    done, rows = session.begin(model, optimizer, keeper, length_factor)  # the last finished epoch of a checkpoint, else 0
    history: list[EpochRecord] = [EpochRecord(**row) for row in rows]
    sigma = f", sigma {length_factor:g}" if length_factor is not None else ""
    bar = tqdm(range(done + 1, protocol.epochs + 1), desc=f"{spec.name} {name} split {split.number}{sigma}", unit="epoch",
               dynamic_ncols=True, initial=done, total=protocol.epochs, disable=not ranks.is_main)
    with EpochBoard(board_folder if ranks.is_main else None) as board:
        for epoch in bar:
            loss = _epoch(model, trainer, optimizer, train_videos, steps)
            # rank 0 evaluates; every rank gets its metrics and keeps the same history
            metrics = distributed.on_main(lambda: mean_metrics(evaluate_model(model, test_videos, benchmark.spec)))
            kept = keeper.offer(model, loss, metrics.kendall, metrics.spearman)
            history.append(EpochRecord(epoch, loss, metrics.f1, metrics.kendall, metrics.spearman, kept))
            session.save(epoch, model, optimizer, keeper, history, length_factor)
            board.log(epoch, loss, metrics)
            bar.set_postfix(loss=f"{loss:.4f}", tau=f"{metrics.kendall:.3f}", rho=f"{metrics.spearman:.3f}")
    bar.close()

    best_epoch, state = keeper.chosen()
    rule_chose = best_epoch is not None
    if not rule_chose:
        log.warning(
            "%s split %d%s: no epoch gave a finite test tau and rho, so no epoch was selected; "
            "keeping the last epoch's weights (see the history in the JSON record).",
            name, split.number, sigma,
        )
        best_epoch, state = history[-1].epoch, _cpu_state(model)
    chosen = history[best_epoch - 1]
    run = LengthFactorRun(length_factor, best_epoch, MeanMetrics(chosen.f1, chosen.kendall, chosen.spearman), history, rule_chose,
                          state=state)
    if untrained is not None:
        model.load_state_dict(state)
        run.improvement = length_improvement(length_factor, _mean_scores(model, test_videos), untrained)
    return run


def train_split(
    benchmark: Benchmark,
    split: Split,
    train_cfg: TrainConfig,
    device: torch.device,
    weights_dir: Path,
    model_cfg: ModelConfig | None = None,
    seed_folder: bool = False,
    fallback: Fallback | None = None,
    resume: ResumePolicy = ResumePolicy.AUTO,
) -> SplitTraining:
    """Train CSTA (the variant ``model_cfg``, default the released one) with the paper's protocol as
    ``train_cfg`` holds it; see train_method_split."""
    return train_method_split(benchmark, split, TrainingPlan.from_train_config(train_cfg, model_cfg), device, weights_dir,
                              seed_folder, fallback, resume)


def train_method_split(
    benchmark: Benchmark,
    split: Split,
    plan: TrainingPlan,
    device: torch.device,
    weights_dir: Path,
    seed_folder: bool = False,
    fallback: Fallback | None = None,
    resume: ResumePolicy = ResumePolicy.AUTO,
) -> SplitTraining:
    """Train a fresh model on ``split`` as ``plan`` says and write the kept epoch's weights, with a
    JSON record and the training curve (PNG) beside them.

    CA-SUM trains once per sigma of its sweep and keeps the sigma its authors' rule chooses (the
    largest improvement over the untrained model, from the test videos' features, not their
    labels); the record holds every sigma's run. The weights file is written once, at the end,
    through a temporary name: an interrupted run leaves the previous file as it was.

    Args:
        seed_folder: write under <dataset>/seed<S>/ (one of several seeds) instead of <dataset>/.
        fallback: where the files go when their folder refuses them at the end (the disk filled
            during training); the result's ``weights_path`` says where the weights are. Without
            one, such a failure raises ``OutputError`` and the trained weights are lost.
        resume: what to do with the checkpoints or finished weights of an earlier run (engine/resume.py):
            each run (each sigma) goes on after its last finished epoch; a finished split is skipped.
    """
    name = benchmark.spec.name
    seed = plan.seed if seed_folder else None
    wanted = weights_path_for(weights_dir, name, split.number, seed)
    ranks = distributed.current()
    session = RunSession(wanted, run_fingerprint(benchmark, split, plan, ranks.world_size), resume)
    finished = session.finished_record()
    if finished is not None:
        return _finished_training(finished, wanted, plan)

    train_videos = to_device(benchmark.subset(split.train_keys), device)
    test_videos = to_device(benchmark.subset(split.test_keys), device)
    runs = []
    for factor in plan.length_factors():
        board = run_folder(plan.tensorboard_dir, plan.method, name, split.number, seed, factor) if plan.tensorboard_dir else None
        runs.append(_train_run(benchmark, split, plan, device, train_videos, test_videos, factor, board, session))
    chosen = runs[choose_length_factor([run.improvement for run in runs])] if len(runs) > 1 else runs[0]
    if len(runs) > 1:
        log.info("%s split %d: sigma %g chosen among %s (improvements %s)", name, split.number, chosen.length_factor,
                 ", ".join(f"{run.length_factor:g}" for run in runs), ", ".join(f"{run.improvement:.3f}" for run in runs))

    if not ranks.is_main:  # only rank 0 writes
        for run in runs:
            run.state = None
        return SplitTraining(name, split.number, wanted, chosen.best_epoch, chosen.metrics, chosen.history, plan,
                             runs if len(runs) > 1 else [], chosen.length_factor)
    write = fallback.write if fallback is not None else _write_in_place
    state = chosen.state
    result = SplitTraining(name, split.number, write(wanted, lambda path: save_checkpoint(state, path)), chosen.best_epoch,
                           chosen.metrics, chosen.history, plan, runs if len(runs) > 1 else [], chosen.length_factor)
    record = {**training_record(result, benchmark, plan, device),
              **session.record_entries(plan.protocol.videos_per_step_for(name))}
    record_path = write(record_path_for(wanted), lambda path: write_json_atomic(path, record))
    title = (f"{plan.method} {name} split {split.number}, seed {plan.seed}" + (f", sigma {chosen.length_factor:g}" if chosen.length_factor is not None else "")
             + (" (SYNTHETIC data)" if benchmark.synthetic else ""))
    curve_path = write(curve_path_for(wanted), lambda path: plot_training_curve(
        path, title, [r.epoch for r in chosen.history], [r.loss for r in chosen.history], [r.kendall for r in chosen.history],
        [r.spearman for r in chosen.history], chosen.best_epoch,
    ))
    # the record now marks the split finished: its checkpoints (every sigma's) go
    session.close((result.weights_path, record_path, curve_path) == (wanted, record_path_for(wanted), curve_path_for(wanted)))
    for run in runs:
        run.state = None  # the chosen weights are written; keep no copies in memory
    return result


def _finished_training(record: dict, weights_path: Path, plan: TrainingPlan) -> SplitTraining:
    """The result of a split that finished earlier, from its JSON record (train.py's tables need it)."""
    runs = [LengthFactorRun(run["length_factor"], run["best_epoch"], MeanMetrics(**run["metrics"]),
                            [EpochRecord(**row) for row in run["history"]], run["rule_chose"], run["improvement"])
            for run in record.get("length_factor_runs", [])]
    return SplitTraining(record["dataset"], record["split"], weights_path, record["best_epoch"], MeanMetrics(**record["metrics"]),
                         [EpochRecord(**row) for row in record["history"]], plan, runs, record.get("length_factor"))


def training_record(result: SplitTraining, benchmark: Benchmark, plan: TrainingPlan, device: torch.device) -> dict:
    """What a weights file was trained on and how, for reports, for inference.py (which rebuilds the
    model from "method" and "model_options") and for anyone who finds it later."""
    trunk = plan.spec.trunk_spec(plan.model_config)
    if trunk is not None:
        origin = trunk_origin(trunk_init(plan), trunk)
        backbone = {"backbone": origin.describe(trunk), "backbone_origin": origin.value}
    else:
        backbone = {"backbone": f"none ({plan.method} has no CNN trunk)"}
    protocol = plan.protocol
    record = {
        "dataset": result.dataset,
        "split": result.split,
        "synthetic_data": benchmark.synthetic,
        "data_file": str(benchmark.h5_path),
        **({"features_backbone_origin": benchmark.feature_origin} if benchmark.feature_origin is not None else {}),
        **backbone,
        "device": str(device),
        # the fields inference reports read, for every method
        "train_config": {"epochs": protocol.epochs, "learning_rate": protocol.learning_rate, "weight_decay": protocol.weight_decay,
                         "seed": protocol.seed, "imagenet_init": plan.imagenet_init},
        **plan.as_record(),
        **init_record(plan, result.split),
        "best_epoch": result.best_epoch,
        "metrics": result.metrics.as_dict(),
        "history": [asdict(record) for record in result.history],
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
    }
    if result.length_factor is not None:
        record["length_factor"] = result.length_factor
    if result.runs:
        record["length_factor_choice"] = ("CA-SUM's rule: per sigma, the improvement of the chosen epoch's mean test score over "
                                          "the untrained model's, towards sigma; the largest at most 1.5 wins (test features, not labels)")
        record["length_factor_runs"] = [run.as_dict() for run in result.runs]
    return record


def read_training_record(weights_path: Path) -> dict | None:
    """The JSON record train.py writes beside a weights file, if any (released weights have none)."""
    record_path = record_path_for(weights_path)
    if not record_path.is_file():
        return None
    try:
        return json.loads(record_path.read_text())
    except (OSError, json.JSONDecodeError):
        log.warning("ignoring unreadable training record %s", record_path)
        return None
