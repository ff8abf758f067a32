"""Training one split with a method's protocol: one loop for CSTA, PGL-SUM and CA-SUM.

What differs between methods (the model, its loss, how many videos make one optimiser step, the
gradient clipping, the video order, the epoch rule, CA-SUM's sigma sweep) comes from the run's
TrainingPlan, built from the method's MethodSpec (models/methods.py); nothing here asks for a
method by name. With CSTA's released configuration and the paper's protocol this is the loop of
the paper's reference (one video per step, best epoch on the test tau and rho), bit for bit.

The data comes as a SplitData: a benchmark's split held in memory (BenchmarkSplit), or VideoXum's
split streamed from its feature files with the rule looking at its validation split and the test
split scored once at the end (sources/videoxum/training.py); the loop is the same.

Every run is resumable (engine/train/resume.py): a checkpoint after each epoch (one per sigma for CA-SUM)
lets the same command continue a killed run and skip a finished one. Under torchrun
(engine/scale/torchrun.py) every rank calls train_method_split; rank 0 evaluates and writes.
"""

from __future__ import annotations

import abc
import copy
import datetime
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from config import ModelConfig, TrainConfig
from dataset.benchmark import Benchmark
from dataset.splits import Split
from engine.evaluate.model_scores import DeviceVideo, evaluate_model, to_device
from engine.reports.plots import plot_training_curve
from engine.run_outputs import Fallback
from engine.run_paths import curve_path_for, record_path_for, weights_path_for
from engine.scale import torchrun as distributed
from engine.train.ema import WeightAverage
from engine.train.epoch import EpochSteps, RuleKeeper, VideoStream, train_epoch
from engine.train.fine_tune import init_record, start_from_init
from engine.train.resume import RunFingerprint, RunSession, run_fingerprint
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import TrainingPlan
from engine.train.targets import per_annotator
from engine.train.tensorboard_log import EpochBoard, run_folder
from evaluation.degenerate import Finding, degenerate_findings
from evaluation.protocol import MeanMetrics, mean_metrics
from models.backbone import BackboneInit, trunk_origin
from models.checkpoint import save_checkpoint
from models.csta import predict_scores
from models.methods import choose_length_factor, length_improvement
from utils import write_json_atomic
from utils.progress import progress_bar
from utils.runtime import seed_everything

log = logging.getLogger(__name__)

__all__ = ["BenchmarkSplit", "EpochRecord", "HeldOut", "LengthFactorRun", "SplitData", "SplitTraining", "TrainingPlan", "TrainingVideos",
           "finished_training", "length_factor_entries", "train_epoch", "train_method_split", "train_on",
           "train_split", "training_record", "trunk_init"]


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
    metrics: MeanMetrics  # of the chosen epoch, on the held-out videos (the split's test videos; VideoXum: validation)
    history: list[EpochRecord]
    rule_chose: bool  # False: the rule found no epoch (no finite test tau and rho) and the last epoch was kept
    improvement: float | None = None  # CA-SUM: how far training moved the mean score towards sigma (from an untrained model)
    state: dict[str, torch.Tensor] | None = field(default=None, repr=False)
    findings: list[Finding] = field(default_factory=list)  # signs of a useless model (evaluation/degenerate.py)

    def as_dict(self) -> dict:
        return {"length_factor": self.length_factor, "best_epoch": self.best_epoch, "metrics": self.metrics.as_dict(),
                "rule_chose": self.rule_chose, "improvement": self.improvement, "history": [asdict(r) for r in self.history],
                "warnings": [finding.as_dict() for finding in self.findings]}


@dataclass
class SplitTraining:
    dataset: str
    split: int
    weights_path: Path
    best_epoch: int
    metrics: MeanMetrics  # of the kept epoch, on the held-out videos (the split's test videos; VideoXum: validation)
    history: list[EpochRecord] = field(default_factory=list)
    plan: TrainingPlan | None = None  # how it was trained
    runs: list[LengthFactorRun] = field(default_factory=list)  # CA-SUM's sweep: one per sigma, the chosen one among them
    length_factor: float | None = None  # the sigma of the kept weights
    warnings: list[Finding] = field(default_factory=list)  # signs that the kept model is useless (evaluation/degenerate.py)

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


def _scores(model: nn.Module, videos: Sequence[DeviceVideo]) -> list[np.ndarray]:
    """Each video's step scores (eval mode), for the checks of evaluation/degenerate.py."""
    with torch.no_grad():
        return [predict_scores(model, video.features) for video in videos]


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {key: copy.deepcopy(value.detach()).cpu() for key, value in model.state_dict().items()}


TrainingVideos = Sequence[DeviceVideo] | VideoStream  # held in memory, or streamed from disk in each epoch's order


@dataclass(frozen=True)
class HeldOut:
    """The held-out videos a run looks at (on rank 0 alone): after every epoch, the numbers the epoch
    rule, the history and the curve read; once per run, the mean scores CA-SUM's choice among sigmas compares.

    On SumMe and TVSum they are the split's test videos (the paper's protocol); on VideoXum its
    validation split (the test split is scored once, at the end, by SplitData.finish).
    """

    name: str  # "test" or "validation": which split the history's numbers are of
    metrics: Callable[[nn.Module], MeanMetrics]
    mean_scores: Callable[[nn.Module], list[float]]
    scores: Callable[[nn.Module], list[np.ndarray]] | None = None  # every video's step scores: saturated or constant ones are named


class SplitData(abc.ABC):
    """One split's data as the training loop reads it; what differs between data sets and nothing else.

    ``BenchmarkSplit`` (below) is a split of SumMe, TVSum or a built data set, held in memory;
    sources.videoxum.training.VideoXumSplitData is VideoXum's split, streamed from its feature files.
    """

    name: str  # the data set: the weights' folder
    number: int  # the split: weights <name>/split<number>.pt
    synthetic: bool  # SYNTHETIC data, said in every title and record

    @abc.abstractmethod
    def fingerprint(self, plan: TrainingPlan, processes: int) -> RunFingerprint:
        """What a checkpoint of this run must match (engine/train/resume.py)."""

    @abc.abstractmethod
    def open(self, device: torch.device) -> tuple[TrainingVideos, HeldOut]:
        """The training videos and the held-out videos, ready for the loop (after the finished-run check)."""

    @abc.abstractmethod
    def finish(self, result: SplitTraining, state: dict[str, torch.Tensor], plan: TrainingPlan,
               device: torch.device) -> tuple[SplitTraining, dict]:
        """Rank 0, once the kept weights ``state`` are written: the result as the caller receives it, and its JSON record
        (without the run's own entries, which the loop adds)."""

    @abc.abstractmethod
    def finished(self, record: dict, weights_path: Path, plan: TrainingPlan) -> SplitTraining:
        """The result of this run finished earlier, from its JSON record."""

    def keeper(self, plan: TrainingPlan) -> RuleKeeper:
        """What keeps the chosen epoch's weights: the plan's rule; a data set whose protocol chooses otherwise gives
        its own keeper (offered every epoch, saved in the run's checkpoint, as RuleKeeper)."""
        return RuleKeeper(plan.rule)

    def curve_title(self, plan: TrainingPlan, length_factor: float | None) -> str:
        return (f"{plan.method} {self.name} split {self.number}, seed {plan.seed}"
                + (f", sigma {length_factor:g}" if length_factor is not None else "") + (" (SYNTHETIC data)" if self.synthetic else ""))


@dataclass
class BenchmarkSplit(SplitData):
    """A split of an eccv16-style file (SumMe, TVSum, a built data set): its videos held on the device,
    the epoch rule looking at its test videos, as the paper's protocol does."""

    benchmark: Benchmark
    split: Split

    def __post_init__(self) -> None:
        self.name, self.number, self.synthetic = self.benchmark.spec.name, self.split.number, self.benchmark.synthetic

    def fingerprint(self, plan: TrainingPlan, processes: int) -> RunFingerprint:
        return run_fingerprint(self.benchmark, self.split, plan, processes)

    def open(self, device: torch.device) -> tuple[TrainingVideos, HeldOut]:
        train_videos = to_device(self.benchmark.subset(self.split.train_keys), device)
        test_videos = to_device(self.benchmark.subset(self.split.test_keys), device)
        spec = self.benchmark.spec
        return train_videos, HeldOut("test", lambda model: mean_metrics(evaluate_model(model, test_videos, spec)),
                                     lambda model: _mean_scores(model, test_videos), lambda model: _scores(model, test_videos))

    def finish(self, result: SplitTraining, state: dict[str, torch.Tensor], plan: TrainingPlan,
               device: torch.device) -> tuple[SplitTraining, dict]:
        return result, training_record(result, self.benchmark, plan, device)

    def finished(self, record: dict, weights_path: Path, plan: TrainingPlan) -> SplitTraining:
        return finished_training(record, weights_path, plan)


def _epoch(model: nn.Module, trainer: nn.Module, optimizer: torch.optim.Optimizer, videos: TrainingVideos, steps: EpochSteps) -> float:
    """One epoch: alone, or shared out over torchrun's ranks (rank 0 draws the order as a lone process would)."""
    if not distributed.current().active:
        return train_epoch(model, optimizer, videos, steps)
    return distributed.train_epoch(trainer, optimizer, videos, steps)


def _train_run(data: SplitData, plan: TrainingPlan, device: torch.device, train_videos: TrainingVideos, held_out: HeldOut,
               length_factor: float | None, board_folder: Path | None, session: RunSession) -> LengthFactorRun:
    """Train a fresh model once (seeded as its authors do) and keep the epoch its rule chooses.

    Every epoch: one pass over the training videos as the method steps through them, then the
    held-out videos' metrics (rank 0), then the rule's keeper, the TensorBoard scalars and the run's
    checkpoint. A run with a checkpoint of this very command goes on after its last finished epoch.
    """
    name, spec, protocol = data.name, plan.spec, plan.protocol
    ranks = distributed.current()
    seed_everything(protocol.seed)  # per run, so one split trains the same alone or in a batch
    model = spec.build(plan.model_config, trunk_init(plan) if spec.uses_backbone else None, device)
    start_from_init(model, plan, data.number)  # --init: fine-tune from given weights
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.learning_rate, weight_decay=protocol.weight_decay)
    # SummDiff's --ema: a moving average of the weights (from the starting ones) is what is evaluated, kept and saved
    decay = spec.average_decay(plan.model_config)
    average = WeightAverage(model, decay) if decay is not None else None
    if average is not None:
        average.attach(optimizer, model)
    evaluated = average.module if average is not None else model
    trainer = distributed.wrap(model, device)  # DistributedDataParallel under torchrun, else the model itself
    steps = EpochSteps(spec.loss, protocol.videos_per_step_for(name), protocol.grad_clip_norm, protocol.shuffle, length_factor,
                       protocol.loss_average, protocol.step_loss, protocol.partial_step)
    # from the fresh model (eval mode draws nothing), so a resumed run compares with the same untrained scores
    untrained = distributed.on_main(lambda: held_out.mean_scores(model)) if length_factor is not None else None

    keeper = data.keeper(plan)  # the plan's epoch rule, or the data set's protocol's own (sources/replay/training.py)
    done, rows = session.begin(model, optimizer, keeper, length_factor, average)  # the last finished epoch of a checkpoint, else 0
    # made after the checkpoint's optimiser state is loaded, so a resumed run goes on from the decayed rate it saved
    lr_schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, protocol.lr_decay) if protocol.lr_decay is not None else None
    history: list[EpochRecord] = [EpochRecord(**row) for row in rows]
    sigma = f", sigma {length_factor:g}" if length_factor is not None else ""
    bar = progress_bar(range(done + 1, protocol.epochs + 1), desc=f"{spec.name} {name} split {data.number}{sigma}", unit="epoch",
                       dynamic_ncols=True, initial=done, total=protocol.epochs, shown=ranks.is_main)  # in a log: a line per epoch
    with EpochBoard(board_folder if ranks.is_main else None) as board:
        for epoch in bar:
            loss = _epoch(model, trainer, optimizer, train_videos, steps)
            # rank 0 evaluates; every rank gets its metrics and keeps the same history
            metrics = distributed.on_main(lambda: held_out.metrics(evaluated))
            kept = keeper.offer(evaluated, loss, metrics.kendall, metrics.spearman)
            if lr_schedule is not None:  # after the epoch's evaluation, as SummDiff's solver steps it, and before the checkpoint
                lr_schedule.step()
            history.append(EpochRecord(epoch, loss, metrics.f1, metrics.kendall, metrics.spearman, kept))
            session.save(epoch, model, optimizer, keeper, history, length_factor, average)
            board.log(epoch, loss, metrics)
            bar.set_postfix(loss=f"{loss:.4f}", tau=f"{metrics.kendall:.3f}", rho=f"{metrics.spearman:.3f}")
    bar.close()

    best_epoch, state = keeper.chosen()
    rule_chose = best_epoch is not None
    if not rule_chose:
        log.warning(
            "%s split %d%s: no epoch gave a finite %s tau and rho, so no epoch was selected; "
            "keeping the last epoch's weights (see the history in the JSON record).",
            name, data.number, sigma, held_out.name,
        )
        best_epoch, state = history[-1].epoch, _cpu_state(evaluated)
    chosen = history[best_epoch - 1]
    run = LengthFactorRun(length_factor, best_epoch, MeanMetrics(chosen.f1, chosen.kendall, chosen.spearman), history, rule_chose,
                          state=state)
    if untrained is not None:
        model.load_state_dict(state)
        run.improvement = length_improvement(length_factor, distributed.on_main(lambda: held_out.mean_scores(model)), untrained)
    run.findings = _findings(model, state, history, held_out)
    for finding in run.findings:
        log.warning("%s split %d%s: the kept model (epoch %d) looks useless: %s", name, data.number, sigma, best_epoch, finding.message)
    return run


def _findings(model: nn.Module, state: dict[str, torch.Tensor], history: list[EpochRecord], held_out: HeldOut) -> list[Finding]:
    """Signs that the kept weights ``state`` make a useless model: held-out numbers frozen over the epochs,
    saturated or constant held-out scores (rank 0 looks; every rank gets the same findings).

    Runs after the last epoch and draws no random numbers: training itself is unchanged."""
    def look() -> list[Finding]:
        scores = None
        if held_out.scores is not None:
            model.load_state_dict(state)
            scores = held_out.scores(model)
        return degenerate_findings([r.kendall for r in history], [r.spearman for r in history], [r.f1 for r in history],
                                   scores, held_out.name)
    return distributed.on_main(look)


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
        resume: what to do with the checkpoints or finished weights of an earlier run (engine/train/resume.py):
            each run (each sigma) goes on after its last finished epoch; a finished split is skipped.
    """
    return train_on(BenchmarkSplit(benchmark, split), plan, device, weights_dir, seed_folder, fallback, resume)


def train_on(
    data: SplitData,
    plan: TrainingPlan,
    device: torch.device,
    weights_dir: Path,
    seed_folder: bool = False,
    fallback: Fallback | None = None,
    resume: ResumePolicy = ResumePolicy.AUTO,
) -> SplitTraining:
    """train_method_split on any SplitData (a benchmark's split, or VideoXum's streamed one): the one
    loop, its checkpoints, and the weights, record and curve written by rank 0."""
    name = data.name
    plan = plan.for_dataset(name)  # the method's authors' values for this data set (SummDiff's differ per data set)
    seed = plan.seed if seed_folder else None
    wanted = weights_path_for(weights_dir, name, data.number, seed)
    ranks = distributed.current()
    per_step = plan.protocol.videos_per_step_for(name)
    fingerprint = data.fingerprint(plan, ranks.world_size)
    if ranks.world_size > 1 and per_step > 1:  # the processes share each step's videos (before stop 24 each took them all):
        # a checkpoint of the older meaning is refused on resume, this difference named
        fingerprint = replace(fingerprint, plan={**fingerprint.plan, "step_shared_by_processes": True})
    session = RunSession(wanted, fingerprint, resume)
    finished = session.finished_record()
    if finished is not None:
        return data.finished(finished, wanted, plan)
    # under torchrun: how the processes share the method's step (refused on every rank when they cannot)
    distributed.share_steps(per_step, f"{plan.method} on {name}")
    distributed.refuse_unshared_steps(plan.protocol.step_loss, plan.protocol.partial_step, f"{plan.method} on {name}")

    train_videos, held_out = data.open(device)
    if plan.spec.trains_per_annotator(plan.model_config):
        train_videos = per_annotator(train_videos, name)
    runs = []
    for factor in plan.length_factors():
        board = run_folder(plan.tensorboard_dir, plan.method, name, data.number, seed, factor) if plan.tensorboard_dir else None
        runs.append(_train_run(data, plan, device, train_videos, held_out, factor, board, session))
    chosen = runs[choose_length_factor([run.improvement for run in runs])] if len(runs) > 1 else runs[0]
    if len(runs) > 1:
        log.info("%s split %d: sigma %g chosen among %s (improvements %s)", name, data.number, chosen.length_factor,
                 ", ".join(f"{run.length_factor:g}" for run in runs), ", ".join(f"{run.improvement:.3f}" for run in runs))

    result = SplitTraining(name, data.number, wanted, chosen.best_epoch, chosen.metrics, chosen.history, plan,
                           runs if len(runs) > 1 else [], chosen.length_factor, list(chosen.findings))
    if not ranks.is_main:  # only rank 0 writes
        for run in runs:
            run.state = None
        return result
    write = fallback.write if fallback is not None else _write_in_place
    state = chosen.state
    result.weights_path = write(wanted, lambda path: save_checkpoint(state, path))
    result, record = data.finish(result, state, plan, device)
    record = {**record, **session.record_entries(plan.protocol.videos_per_step_for(name)),
              "warnings": [finding.as_dict() for finding in result.warnings]}
    record_path = write(record_path_for(wanted), lambda path: write_json_atomic(path, record))
    title = data.curve_title(plan, chosen.length_factor)
    curve_path = write(curve_path_for(wanted), lambda path: plot_training_curve(
        path, title, [r.epoch for r in chosen.history], [r.loss for r in chosen.history], [r.kendall for r in chosen.history],
        [r.spearman for r in chosen.history], chosen.best_epoch, [finding.message for finding in result.warnings],
    ))
    # the record now marks the split finished: its checkpoints (every sigma's) go
    session.close((result.weights_path, record_path, curve_path) == (wanted, record_path_for(wanted), curve_path_for(wanted)))
    for run in runs:
        run.state = None  # the chosen weights are written; keep no copies in memory
    return result


def finished_training(record: dict, weights_path: Path, plan: TrainingPlan) -> SplitTraining:
    """The result of a split that finished earlier, from its JSON record (train.py's tables need it)."""
    runs = [LengthFactorRun(run["length_factor"], run["best_epoch"], MeanMetrics(**run["metrics"]),
                            [EpochRecord(**row) for row in run["history"]], run["rule_chose"], run["improvement"],
                            findings=[Finding(**entry) for entry in run.get("warnings", [])])
            for run in record.get("length_factor_runs", [])]
    return SplitTraining(record["dataset"], record["split"], weights_path, record["best_epoch"], MeanMetrics(**record["metrics"]),
                         [EpochRecord(**row) for row in record["history"]], plan, runs, record.get("length_factor"),
                         [Finding(**entry) for entry in record.get("warnings", [])])


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
    return {**record, **length_factor_entries(result, "test")}


def length_factor_entries(result: SplitTraining, held_out: str) -> dict:
    """The record's fields on CA-SUM's sigma: the kept one and, after a sweep, every sigma's run and how one was chosen
    (from the ``held_out`` split's features, never its labels)."""
    entries: dict = {}
    if result.length_factor is not None:
        entries["length_factor"] = result.length_factor
    if result.runs:
        entries["length_factor_choice"] = (f"CA-SUM's rule: per sigma, the improvement of the chosen epoch's mean {held_out} score over "
                                           f"the untrained model's, towards sigma; the largest at most 1.5 wins ({held_out} features, "
                                           "not labels)")
        entries["length_factor_runs"] = [run.as_dict() for run in result.runs]
    return entries
