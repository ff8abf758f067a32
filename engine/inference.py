"""Evaluating trained or released weights on every split that has a weights file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from dataset.benchmark import Benchmark
from dataset.errors import DataError
from dataset.splits import Split
from engine.layout import weights_to_evaluate
from engine.scoring import predict_scores, to_device
from engine.training import read_training_record
from evaluation.protocol import MeanMetrics, VideoMetrics, evaluate_video, mean_metrics
from models.backbone import BackboneInit, BackboneOrigin
from models.checkpoint import load_checkpoint
from models.csta import build_csta


@dataclass
class SplitEvaluation:
    split: int
    weights_path: Path
    metrics: MeanMetrics
    videos: list[VideoMetrics]
    backbone: str | None  # from the training record, when the weights have one
    backbone_origin: BackboneOrigin | None  # likewise
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # predicted step scores per test video
    record: dict | None = None  # the training record beside the weights (released weights have none)


@dataclass
class DatasetEvaluation:
    dataset: str
    data_file: Path
    synthetic: bool
    splits: list[SplitEvaluation]
    seed: int | None = None  # the weights came from <dataset>/seed<S>/ (one of several seeds)

    @property
    def mean(self) -> MeanMetrics:
        """Mean over splits of the per-split means (the paper's final number)."""
        return mean_metrics([split.metrics for split in self.splits])

    @property
    def stand_in_backbone(self) -> bool:
        return any(split.backbone_origin is BackboneOrigin.STAND_IN for split in self.splits)


def evaluate_weights(
    benchmark: Benchmark,
    splits: list[Split],
    weights_dir: Path,
    device: torch.device,
    require_all: bool,
    seed: int | None = None,
) -> DatasetEvaluation:
    """Score each split's test videos with weights/<dataset>/split<k>.pt.

    Args:
        require_all: every split in ``splits`` must have its weights file (the user named them);
            otherwise splits without one are skipped, and at least one must exist.
        seed: read weights/<dataset>/seed<S>/split<k>.pt instead (train.py --seeds with several seeds).
    """
    name = benchmark.spec.name
    present = weights_to_evaluate(weights_dir, name, splits, require_all, seed)
    model = build_csta(BackboneInit.RANDOM).to(device)  # every trunk tensor comes from the file
    results = []
    for split, path in present:
        load_checkpoint(model, path)
        model.eval()
        scores = {video.record.key: predict_scores(model, video.features) for video in to_device(benchmark.subset(split.test_keys), device)}
        videos = [evaluate_video(scores[key], benchmark.videos[key], benchmark.spec) for key in split.test_keys]
        record = read_training_record(path)
        results.append(SplitEvaluation(split.number, path, mean_metrics(videos), videos, record and record.get("backbone"),
                                       BackboneOrigin.from_record(record), scores, record))
    if not results:
        raise DataError(f"{name}: no split to evaluate")
    return DatasetEvaluation(name, benchmark.h5_path, benchmark.synthetic, results, seed)
