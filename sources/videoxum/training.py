"""Training a method on VideoXum: what differs from SumMe and TVSum, for the one loop of engine/train/loop.py.

The loop, its checkpoints (engine/train/resume.py), torchrun (engine/scale/torchrun.py) and Ray (engine/scale/ray_sweep.py)
are those of every data set; what VideoXum brings is its SplitData (``VideoXumSplitData``):

- the training videos are a VideoStream read by DataLoader workers in each epoch's order, never the
  whole split in memory;
- the held-out videos the epoch rule sees (and CA-SUM's choice among sigmas compares) are the
  validation split under VideoXum's V2V protocol (tau and rho against the annotators' mean summary),
  never the test labels;
- once the kept weights are written, the test split is scored once with them; the record holds both;
- the model is sized from the feature dimension (engine.train.run_config.sized_for_features).

The weights are written as weights/VideoXum/split1.pt (VideoXum has one split) with the usual JSON
record and curve; a checkpoint's fingerprint holds the feature set's name, the annotation files'
digests, the three splits' video ids and every feature file's name, size and modification time (their
contents are not hashed: 14,001 files; VideoXumDataset.feature_stamp).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from engine.run_outputs import ClaimedOutputs, Fallback, claim_outputs
from engine.run_paths import training_outputs, weights_path_for
from engine.scale.own_split_runs import train_seeds_on_ray
from engine.train.fine_tune import init_record
from engine.train.loop import (
    HeldOut,
    SplitData,
    SplitTraining,
    TrainingVideos,
    finished_training,
    length_factor_entries,
    train_on,
    trunk_init,
)
from engine.train.resume import RunFingerprint, file_digest, fingerprint_for
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import TrainingPlan
from evaluation.protocol import MeanMetrics
from evaluation.v2v import V2VMeans
from models.backbone import trunk_origin
from sources.source import RouteRequest
from sources.videoxum import VIDEOXUM, VIDEOXUM_SPLIT
from sources.videoxum.data import (
    StreamedTrainingVideos,
    VideoXumFiles,
    VideoXumSplits,
    mean_score_v2v,
    mean_scores,
)

log = logging.getLogger(__name__)

PROTOCOL = "VideoXum V2V (top 15% of the 1 fps frames vs each annotator's vsum_onehot; tau, rho vs the annotators' mean)"


@dataclass
class VideoXumTraining(SplitTraining):
    """A VideoXum run: ``metrics`` and ``history`` are the validation split's (the rule's view)."""

    validation: V2VMeans | None = None  # of the kept weights; None on torchrun's ranks other than 0
    test: V2VMeans | None = None  # the kept weights on the test split, computed once
    feature_dim: int = 0
    synthetic: bool = False


def _metrics(means: V2VMeans) -> MeanMetrics:
    """The numbers the epoch rule, the curve and TensorBoard read: V2V F1 (mean over annotators), tau, rho."""
    return MeanMetrics(means.f1_mean, means.kendall, means.spearman)


class VideoXumSplitData(SplitData):
    """VideoXum's split for engine.train.loop.train_on (see the module docstring)."""

    def __init__(self, data: VideoXumSplits) -> None:
        self.data = data
        self.name, self.number, self.synthetic = VIDEOXUM, VIDEOXUM_SPLIT, data.train.synthetic
        self.feature_dim = data.train.feature_dim()

    def fingerprint(self, plan: TrainingPlan, processes: int) -> RunFingerprint:
        files = self.data.files
        digest = hashlib.sha256(json.dumps({"features": files.features,
                                            "annotations": [file_digest(path) for path in files.annotation_files()],
                                            "feature_files": [split.feature_stamp() for split in (self.data.train, self.data.val, self.data.test)]}).encode())
        keys = {"train": self.data.train.keys, "val": self.data.val.keys, "test": self.data.test.keys}
        return fingerprint_for(VIDEOXUM, VIDEOXUM_SPLIT, plan, digest.hexdigest(), keys, processes)

    def open(self, device: torch.device) -> tuple[TrainingVideos, HeldOut]:
        data, workers = self.data, self.data.files.workers
        log.info("%s: %d train / %d validation / %d test videos, %d-dimensional '%s' features%s", VIDEOXUM, len(data.train),
                 len(data.val), len(data.test), self.feature_dim, data.files.features, " (SYNTHETIC data)" if self.synthetic else "")
        return (StreamedTrainingVideos(data.train, device, workers),
                HeldOut("validation", lambda model: _metrics(mean_score_v2v(model, data.val, device, workers, progress="validation")),
                        lambda model: mean_scores(model, data.val, device, workers)))

    def finish(self, result: SplitTraining, state: dict[str, torch.Tensor], plan: TrainingPlan,
               device: torch.device) -> tuple[SplitTraining, dict]:
        """The kept weights scored on the validation split (as the rule saw them) and, once, on the test split."""
        workers = self.data.files.workers
        with torch.random.fork_rng(devices=[]):  # building the model draws initial weights: leave the generators as they were
            model = plan.spec.build(plan.model_config, None, device)
        model.load_state_dict(state)
        validation = mean_score_v2v(model, self.data.val, device, workers)
        test = mean_score_v2v(model, self.data.test, device, workers, progress="test")
        done = VideoXumTraining(**{item.name: getattr(result, item.name) for item in fields(SplitTraining)}, validation=validation,
                                test=test, feature_dim=self.feature_dim, synthetic=self.synthetic)
        return done, videoxum_record(done, self.data.files, device)

    def finished(self, record: dict, weights_path: Path, plan: TrainingPlan) -> SplitTraining:
        base = finished_training(record, weights_path, plan)
        return VideoXumTraining(**{item.name: getattr(base, item.name) for item in fields(SplitTraining)},
                                validation=V2VMeans(**record["validation_v2v"]), test=V2VMeans(**record["test_v2v"]),
                                feature_dim=record["feature_dim"], synthetic=record["synthetic_data"])

    def curve_title(self, plan: TrainingPlan, length_factor: float | None) -> str:
        return (f"{plan.method} {VIDEOXUM}, seed {plan.seed}" + (f", sigma {length_factor:g}" if length_factor is not None else "")
                + " (validation tau/rho)" + (" (SYNTHETIC data)" if self.synthetic else ""))


def train_videoxum(data: VideoXumSplits, plan: TrainingPlan, device: torch.device, weights_dir: Path, fallback: Fallback | None = None,
                   seed_folder: bool = False, resume: ResumePolicy = ResumePolicy.AUTO) -> VideoXumTraining:
    """Train a fresh model as ``plan`` says on VideoXum's train split and write the kept epoch's weights.

    The model is sized from the feature dimension; the plan's rule is applied to the validation
    split's tau and rho (or the training loss); the test split is read once, after training, with
    the kept weights. Resumable, and under torchrun shared out over the ranks, as every run (engine/train/loop.py).
    """
    run = VideoXumSplitData(data)
    result = train_on(run, plan.sized_for(run.feature_dim), device, weights_dir, seed_folder, fallback, resume)
    return result if isinstance(result, VideoXumTraining) else VideoXumTraining(
        **{item.name: getattr(result, item.name) for item in fields(SplitTraining)}, feature_dim=run.feature_dim,
        synthetic=run.synthetic)  # torchrun's other ranks: no scores, nothing written


def videoxum_record(result: VideoXumTraining, files: VideoXumFiles, device: torch.device) -> dict:
    """The JSON record beside the weights: what inference.py rebuilds the model from, and how the epoch was chosen."""
    plan = result.plan
    trunk = plan.spec.trunk_spec(plan.model_config)
    backbone = ({"backbone": trunk_origin(trunk_init(plan), trunk).describe(trunk), "backbone_origin": trunk_origin(trunk_init(plan), trunk).value}
                if trunk is not None else {"backbone": f"none ({plan.method} has no CNN trunk)"})
    protocol = plan.protocol
    return {
        "dataset": VIDEOXUM,
        "split": VIDEOXUM_SPLIT,
        "synthetic_data": result.synthetic,
        "data_file": str(files.data_dir),
        "features": files.features,
        "feature_dim": result.feature_dim,
        **backbone,
        "device": str(device),
        "train_config": {"epochs": protocol.epochs, "learning_rate": protocol.learning_rate, "weight_decay": protocol.weight_decay,
                         "seed": protocol.seed, "imagenet_init": plan.imagenet_init},
        **plan.as_record(),
        **init_record(plan, VIDEOXUM_SPLIT),
        "evaluation_protocol": PROTOCOL,
        "best_epoch": result.best_epoch,
        "metrics_split": "validation",  # "metrics" and "history" are the validation split's (the rule's view)
        "metrics": result.metrics.as_dict(),
        "validation_v2v": result.validation.as_dict(),
        "test_v2v": result.test.as_dict(),
        "test_note": "the kept weights on the test split, computed once after training; no choice looked at it",
        "history": [asdict(epoch) for epoch in result.history],
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        **length_factor_entries(result, "validation"),
    }


def claim_videoxum_outputs(request: RouteRequest, plan: TrainingPlan, seeds: list[int],
                           main: bool = True) -> tuple[VideoXumSplits, ClaimedOutputs]:
    """Open and check VideoXum's three splits (a missing feature file, folder or annotation file stops
    the run here), check that the train split fills one optimiser step, and claim every output
    (only ``main``: torchrun's ranks other than 0 write nothing)."""
    data = VideoXumFiles(request.data.data_dir, request.option("features"), request.option("workers")).open()
    plan.check_training_set(VIDEOXUM, VIDEOXUM_SPLIT, len(data.train))
    if not main:
        return data, ClaimedOutputs()
    several = len(seeds) > 1
    weights = [weights_path_for(request.data.weights_dir, VIDEOXUM, VIDEOXUM_SPLIT, seed if several else None) for seed in seeds]
    return data, claim_outputs([path for w in weights for path in training_outputs(w)], inputs=data.files.annotation_files(), lock=weights)


def log_videoxum_result(result: VideoXumTraining) -> None:
    """The kept epoch, how it was chosen, and its validation and test V2V numbers, for the log (rank 0's)."""
    if result.validation is None or result.test is None:
        return
    synthetic = " (SYNTHETIC data)" if result.synthetic else ""
    sigma = f", sigma {result.length_factor:g}" if result.length_factor is not None else ""
    log.info("%s %s: kept epoch %d%s (%s) -> %s", result.plan.method, VIDEOXUM, result.best_epoch, sigma, result.plan.rule.label,
             result.weights_path)
    for name, means in (("validation (the epoch rule's view)", result.validation), ("test (scored once, with the kept weights)", result.test)):
        log.info("  %s%s: F1 max %.2f | F1 mean %.2f | tau %.3f | rho %.3f (%d videos)", name, synthetic, means.f1_max, means.f1_mean,
                 means.kendall, means.spearman, means.n_videos)


def train_videoxum_on_ray(request: RouteRequest, plan: TrainingPlan, data: VideoXumSplits, seeds: list[int],
                          fallback: Fallback) -> list[VideoXumTraining]:
    """Train VideoXum once per seed, each run a Ray task that opens the data itself (engine/scale/own_split_runs.py); the
    results in the seeds' order. The plan is unsized: the worker sizes the model from the features it reads.

    Raises:
        ProjectError: as cli.sweep_command.train_on_ray.
    """
    return train_seeds_on_ray(data.files, train_videoxum, VIDEOXUM, VIDEOXUM_SPLIT, plan, seeds, request.data.weights_dir, request.resume,
                              request.sweep, fallback)
