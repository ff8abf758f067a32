"""Training a method on VideoXum: the train split streamed, the epoch chosen on the validation split,
the test split scored once at the end with the kept weights.

The epoch loop is the one every method uses on SumMe and TVSum (engine.method_training.train_epoch,
the method's loss, videos per step, clipping and shuffle; RuleKeeper with the plan's rule); what
differs is the data (a VideoStream read by DataLoader workers instead of a list in memory) and the
held-out videos the rule sees: VideoXum's validation split under its V2V protocol (tau and rho
against the annotators' mean summary), never the test labels. The weights are written as
weights/VideoXum/split1.pt (VideoXum has one split) with the usual JSON record and curve.
"""

from __future__ import annotations

import argparse
import datetime
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from tqdm import tqdm

from config import VIDEOXUM
from engine.board import EpochBoard, run_folder
from engine.layout import curve_path_for, record_path_for, training_outputs, weights_path_for
from engine.method_training import EpochSteps, RuleKeeper, train_epoch
from engine.outputs import ClaimedOutputs, Fallback, claim_outputs
from engine.plots import plot_training_curve
from engine.training import EpochRecord, trunk_init
from engine.training_plan import TrainingPlan
from engine.videoxum_data import StreamedTrainingVideos, VideoXumSource, VideoXumSplits, mean_score_v2v, sized_for_features
from evaluation.protocol import MeanMetrics
from evaluation.v2v import V2VMeans
from models.backbone import trunk_origin
from models.checkpoint import save_checkpoint
from utils import write_json_atomic
from utils.runtime import seed_everything

log = logging.getLogger(__name__)

VIDEOXUM_SPLIT = 1  # weights/VideoXum/split1.pt: VideoXum's one train/val/test split
PROTOCOL = "VideoXum V2V (top 15% of the 1 fps frames vs each annotator's vsum_onehot; tau, rho vs the annotators' mean)"


@dataclass
class VideoXumTraining:
    weights_path: Path
    best_epoch: int
    validation: V2VMeans  # of the kept epoch
    test: V2VMeans  # the kept weights on the test split, computed once
    history: list[EpochRecord]
    plan: TrainingPlan
    feature_dim: int
    synthetic: bool


def _metrics(means: V2VMeans) -> MeanMetrics:
    """The numbers the epoch rule, the curve and TensorBoard read: V2V F1 (mean over annotators), tau, rho."""
    return MeanMetrics(means.f1_mean, means.kendall, means.spearman)


def train_videoxum(data: VideoXumSplits, plan: TrainingPlan, device: torch.device, weights_dir: Path,
                   fallback: Fallback, seed_folder: bool = False) -> VideoXumTraining:
    """Train a fresh model as ``plan`` says on VideoXum's train split and write the kept epoch's weights.

    The model is sized from the feature dimension (engine.videoxum_data.sized_for_features); the
    plan's rule is applied to the validation split's tau and rho (or the training loss); the test
    split is read once, after training, with the kept weights.
    """
    source, train, val, test = data.source, data.train, data.val, data.test
    dim = train.feature_dim()
    config = sized_for_features(plan.model_config, dim)
    plan_used = replace(plan, model_config=config)
    spec, protocol = plan.spec, plan.protocol
    (factor,) = plan.length_factors()  # the training plan refuses a sigma sweep on VideoXum
    seed_everything(protocol.seed)
    model = spec.build(config, trunk_init(plan) if spec.uses_backbone else None, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=protocol.learning_rate, weight_decay=protocol.weight_decay)
    steps = EpochSteps(spec.loss, protocol.videos_per_step_for(VIDEOXUM), protocol.grad_clip_norm, protocol.shuffle, factor,
                       protocol.loss_average)
    videos = StreamedTrainingVideos(train, device, source.workers)
    log.info("%s: %d train / %d validation / %d test videos, %d-dimensional '%s' features%s", VIDEOXUM, len(train), len(val),
             len(test), dim, source.features, " (SYNTHETIC data)" if train.synthetic else "")

    keeper = RuleKeeper(plan.rule)
    history: list[EpochRecord] = []
    validation: list[V2VMeans] = []
    seed = protocol.seed if seed_folder else None
    board_folder = run_folder(plan.tensorboard_dir, plan.method, VIDEOXUM, VIDEOXUM_SPLIT, seed, factor) if plan.tensorboard_dir else None
    bar = tqdm(range(1, protocol.epochs + 1), desc=f"{spec.name} {VIDEOXUM}", unit="epoch", dynamic_ncols=True)
    with EpochBoard(board_folder) as board:
        for epoch in bar:
            loss = train_epoch(model, optimizer, videos, steps)
            validation.append(mean_score_v2v(model, val, device, source.workers, progress="validation"))
            metrics = _metrics(validation[-1])
            kept = keeper.offer(model, loss, metrics.kendall, metrics.spearman)
            history.append(EpochRecord(epoch, loss, metrics.f1, metrics.kendall, metrics.spearman, kept))
            board.log(epoch, loss, metrics)
            bar.set_postfix(loss=f"{loss:.4f}", val_tau=f"{metrics.kendall:.3f}", val_rho=f"{metrics.spearman:.3f}")
    bar.close()

    best_epoch, state = keeper.chosen()
    if best_epoch is None:  # the rule found no finite validation tau and rho
        log.warning("%s: no epoch gave a finite validation tau and rho; keeping the last epoch's weights", VIDEOXUM)
        best_epoch, state = protocol.epochs, {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
    model.load_state_dict(state)
    test_means = mean_score_v2v(model, test, device, source.workers, progress="test")

    wanted = weights_path_for(weights_dir, VIDEOXUM, VIDEOXUM_SPLIT, seed)
    result = VideoXumTraining(fallback.write(wanted, lambda path: save_checkpoint(state, path)), best_epoch,
                              validation[best_epoch - 1], test_means, history, plan_used, dim, train.synthetic)
    record = videoxum_record(result, source, train.synthetic, device)
    fallback.write(record_path_for(wanted), lambda path: write_json_atomic(path, record))
    title = f"{plan.method} {VIDEOXUM}, seed {protocol.seed} (validation tau/rho)" + (" (SYNTHETIC data)" if train.synthetic else "")
    fallback.write(curve_path_for(wanted), lambda path: plot_training_curve(
        path, title, [r.epoch for r in history], [r.loss for r in history], [r.kendall for r in history],
        [r.spearman for r in history], best_epoch))
    return result


def videoxum_record(result: VideoXumTraining, source: VideoXumSource, synthetic: bool, device: torch.device) -> dict:
    """The JSON record beside the weights: what inference.py rebuilds the model from, and how the epoch was chosen."""
    plan = result.plan
    trunk = plan.spec.trunk_spec(plan.model_config)
    backbone = ({"backbone": trunk_origin(trunk_init(plan), trunk).describe(trunk), "backbone_origin": trunk_origin(trunk_init(plan), trunk).value}
                if trunk is not None else {"backbone": f"none ({plan.method} has no CNN trunk)"})
    protocol = plan.protocol
    return {
        "dataset": VIDEOXUM,
        "split": VIDEOXUM_SPLIT,
        "synthetic_data": synthetic,
        "data_file": str(source.data_dir),
        "features": source.features,
        "feature_dim": result.feature_dim,
        **backbone,
        "device": str(device),
        "train_config": {"epochs": protocol.epochs, "learning_rate": protocol.learning_rate, "weight_decay": protocol.weight_decay,
                         "seed": protocol.seed, "imagenet_init": plan.imagenet_init},
        **plan.as_record(),
        "evaluation_protocol": PROTOCOL,
        "best_epoch": result.best_epoch,
        "metrics_split": "validation",  # "metrics" and "history" are the validation split's (the rule's view)
        "metrics": _metrics(result.validation).as_dict(),
        "validation_v2v": result.validation.as_dict(),
        "test_v2v": result.test.as_dict(),
        "test_note": "the kept weights on the test split, computed once after training; no choice looked at it",
        "history": [asdict(epoch) for epoch in result.history],
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
    }


def claim_videoxum_outputs(args: argparse.Namespace, plan: TrainingPlan, seeds: list[int]) -> tuple[VideoXumSplits, ClaimedOutputs]:
    """Open and check VideoXum's three splits (a missing feature file, folder or annotation file stops
    the run here), check that the train split fills one optimiser step, and claim every output."""
    data = VideoXumSource(args.data_dir, args.features, args.workers).open()
    plan.check_training_set(VIDEOXUM, VIDEOXUM_SPLIT, len(data.train))
    several = len(seeds) > 1
    weights = [weights_path_for(args.weights_dir, VIDEOXUM, VIDEOXUM_SPLIT, seed if several else None) for seed in seeds]
    claim = claim_outputs([path for w in weights for path in training_outputs(w)], inputs=data.source.annotation_files(), lock=weights)
    return data, claim


def log_videoxum_result(result: VideoXumTraining) -> None:
    """The kept epoch, how it was chosen, and its validation and test V2V numbers, for the log."""
    synthetic = " (SYNTHETIC data)" if result.synthetic else ""
    log.info("%s %s: kept epoch %d (%s) -> %s", result.plan.method, VIDEOXUM, result.best_epoch, result.plan.rule.label, result.weights_path)
    for name, means in (("validation (the epoch rule's view)", result.validation), ("test (scored once, with the kept weights)", result.test)):
        log.info("  %s%s: F1 max %.2f | F1 mean %.2f | tau %.3f | rho %.3f (%d videos)", name, synthetic, means.f1_max, means.f1_mean,
                 means.kendall, means.spearman, means.n_videos)
