"""Training CSTA on one split with the paper's protocol (reference section 4)."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from config import ModelConfig, TrainConfig
from dataset.benchmark import Benchmark
from dataset.splits import Split
from engine import distributed
from engine.cli import ResumePolicy
from engine.epoch_selection import BestEpochKeeper
from engine.layout import curve_path_for, record_path_for, weights_path_for
from engine.outputs import Fallback
from engine.plots import plot_training_curve
from engine.resume import RunSession, run_fingerprint
from engine.scoring import evaluate_model, to_device
from evaluation.protocol import MeanMetrics, mean_metrics
from models.backbone import BackboneInit, trunk_origin
from models.checkpoint import save_checkpoint
from models.csta import build_csta
from utils import write_json_atomic
from utils.runtime import seed_everything

log = logging.getLogger(__name__)


@dataclass
class EpochRecord:
    epoch: int  # counts from 1
    loss: float  # mean training MSE over the epoch's videos
    f1: float
    kendall: float
    spearman: float
    kept: bool  # this epoch's weights became the split's weights


@dataclass
class SplitTraining:
    dataset: str
    split: int
    weights_path: Path
    best_epoch: int
    metrics: MeanMetrics  # of the kept epoch, on the split's test videos
    history: list[EpochRecord] = field(default_factory=list)


def trunk_init(train_cfg: TrainConfig) -> BackboneInit:
    return BackboneInit.IMAGENET if train_cfg.imagenet_init else BackboneInit.RANDOM


def _write_in_place(path: Path, writer: Callable[[Path], object]) -> Path:
    writer(path)
    return path


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, videos: list) -> float:
    """One pass over the training videos in a random order, one video per step; mean loss."""
    model.train()
    criterion = nn.MSELoss()
    total = 0.0
    for index in torch.randperm(len(videos)).tolist():
        video = videos[index]
        optimizer.zero_grad()
        loss = criterion(model(video.features), video.gtscore)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(videos)


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
    """Train a fresh model on ``split`` and write the kept epoch's weights, with a JSON record and
    the training curve (PNG) beside them.

    The weights file is written once, at the end, through a temporary name: an interrupted run
    leaves the previous file as it was.

    Args:
        seed_folder: write under <dataset>/seed<S>/ (one of several seeds) instead of <dataset>/.
        fallback: where the files go when their folder refuses them at the end (the disk filled
            during training); the result's ``weights_path`` says where the weights are. Without
            one, such a failure raises ``OutputError`` and the trained weights are lost.
        resume: what to do with the checkpoint or finished weights of an earlier run (engine/resume.py).

    Under torchrun (engine/distributed.py) every rank calls this; rank 0 evaluates and writes.
    """
    name = benchmark.spec.name
    wanted = weights_path_for(weights_dir, name, split.number, train_cfg.seed if seed_folder else None)
    ranks = distributed.current()
    # [resume hook 1] a finished run of this very command is skipped
    model_description = {"method": "CSTA", "options": (model_cfg or ModelConfig()).to_options()}
    session = RunSession(wanted, run_fingerprint(benchmark, split, train_cfg, model_description, ranks.world_size), resume)
    finished = session.finished_record()
    if finished is not None:
        return _finished_training(finished, wanted)

    seed_everything(train_cfg.seed)  # per split, so one split trains the same alone or in a batch
    model = build_csta(trunk_init(train_cfg), model_cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_cfg.learning_rate, weight_decay=train_cfg.weight_decay)
    trainer = distributed.wrap(model, device)  # [ddp hook] DistributedDataParallel under torchrun, else model
    train_videos = to_device(benchmark.subset(split.train_keys), device)
    test_videos = to_device(benchmark.subset(split.test_keys), device)

    keeper = BestEpochKeeper()
    done, rows = session.begin(model, optimizer, keeper)  # [resume hook 2] the last finished epoch of a checkpoint
    history: list[EpochRecord] = [EpochRecord(**row) for row in rows]
    bar = tqdm(range(done + 1, train_cfg.epochs + 1), desc=f"{name} split {split.number}", unit="epoch", dynamic_ncols=True,
               initial=done, total=train_cfg.epochs, disable=not ranks.is_main)
    for epoch in bar:
        if ranks.active:  # [ddp hook] the epoch's order shared out over the ranks
            loss = distributed.train_epoch(trainer, optimizer, train_videos)
        else:
            loss = train_epoch(model, optimizer, train_videos)
        # [ddp hook] rank 0 evaluates, every rank gets its metrics
        metrics = distributed.on_main(lambda: mean_metrics(evaluate_model(model, test_videos, benchmark.spec)))
        kept = keeper.offer(epoch, metrics, model)
        history.append(EpochRecord(epoch, loss, metrics.f1, metrics.kendall, metrics.spearman, kept))
        session.save(epoch, model, optimizer, keeper, history)  # [resume hook 3] the checkpoint of this epoch
        bar.set_postfix(loss=f"{loss:.4f}", tau=f"{metrics.kendall:.3f}", rho=f"{metrics.spearman:.3f}", best=keeper.epoch)
    bar.close()

    if keeper.state is None:
        log.warning(
            "%s split %d: no epoch gave a finite test tau and rho, so no epoch was selected; "
            "keeping the last epoch's weights (see the history in the JSON record).",
            name, split.number,
        )
        last = history[-1]
        keeper.epoch, keeper.metrics = train_cfg.epochs, MeanMetrics(last.f1, last.kendall, last.spearman)
        keeper.state = {key: value.detach().cpu() for key, value in model.state_dict().items()}

    if not ranks.is_main:  # [ddp hook] only rank 0 writes
        return SplitTraining(name, split.number, wanted, keeper.epoch, keeper.metrics, history)
    write = fallback.write if fallback is not None else _write_in_place
    state = keeper.state
    result = SplitTraining(name, split.number, write(wanted, lambda path: save_checkpoint(state, path)), keeper.epoch, keeper.metrics, history)
    record = {**training_record(result, benchmark, train_cfg, device), **session.record_entries()}
    record_path = write(record_path_for(wanted), lambda path: write_json_atomic(path, record))
    title = f"{name} split {split.number}, seed {train_cfg.seed}" + (" (SYNTHETIC data)" if benchmark.synthetic else "")
    curve_path = write(curve_path_for(wanted), lambda path: plot_training_curve(
        path, title, [r.epoch for r in history], [r.loss for r in history], [r.kendall for r in history],
        [r.spearman for r in history], keeper.epoch,
    ))
    # [resume hook 4] the record now marks the run finished: its checkpoint goes
    session.close((result.weights_path, record_path, curve_path) == (wanted, record_path_for(wanted), curve_path_for(wanted)))
    return result


def _finished_training(record: dict, weights_path: Path) -> SplitTraining:
    """The result of a run that finished earlier, from its JSON record (train.py's tables need it)."""
    return SplitTraining(record["dataset"], record["split"], weights_path, record["best_epoch"], MeanMetrics(**record["metrics"]),
                         [EpochRecord(**row) for row in record["history"]])


def training_record(result: SplitTraining, benchmark: Benchmark, train_cfg: TrainConfig, device: torch.device) -> dict:
    """What a weights file was trained on and how, for reports and for anyone who finds it later."""
    origin = trunk_origin(trunk_init(train_cfg))
    return {
        "dataset": result.dataset,
        "split": result.split,
        "synthetic_data": benchmark.synthetic,
        "data_file": str(benchmark.h5_path),
        "backbone": origin.description,
        "backbone_origin": origin.value,
        "device": str(device),
        "train_config": asdict(train_cfg),
        "selection": "epoch where both mean test Kendall tau and Spearman rho improved (paper protocol)",
        "best_epoch": result.best_epoch,
        "metrics": result.metrics.as_dict(),
        "history": [asdict(record) for record in result.history],
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
    }


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
