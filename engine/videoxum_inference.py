"""Evaluating weights on VideoXum's test split with its V2V protocol, beside the annotators' agreement
(the Human row) and VideoXum's published rows, each with its source.

The weights are weights/VideoXum/split1.pt (as train.py writes them); the model is rebuilt from the
record beside them, like every other weights file (engine.inference.model_for_weights). Weights
without a record are sized from the feature dimension (engine.videoxum_data.sized_for_features).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import torch

from config import VIDEOXUM
from dataset.errors import DataError
from dataset.videoxum import VideoXumDataset, VideoXumSplit
from engine.inference import build_model, model_for_weights, selection_rule_of
from engine.layout import record_path_for, weights_path_for
from engine.model_flags import ModelChoice
from engine.videoxum_data import VideoXumSource, score_v2v, sized_for_features
from engine.videoxum_training import VIDEOXUM_SPLIT
from evaluation.v2v import PUBLISHED_V2V, V2VMeans, V2VVideoMetrics, human_v2v, mean_v2v
from models.checkpoint import load_checkpoint


@dataclass
class VideoXumEvaluation:
    weights_path: Path
    model: ModelChoice
    selection: str  # how the epoch was chosen, from the record ("not recorded" without one)
    ours: V2VMeans
    human: V2VMeans
    videos: list[V2VVideoMetrics]
    synthetic: bool
    features: str


def videoxum_inputs(args: argparse.Namespace) -> tuple[VideoXumDataset, Path, list[Path]]:
    """The test split (checked: annotations, every feature file), the weights file, and every file read."""
    source = VideoXumSource(args.data_dir, args.features, args.workers)
    test = source.split(VideoXumSplit.TEST)
    weights = weights_path_for(args.weights_dir, VIDEOXUM, VIDEOXUM_SPLIT)
    if not weights.is_file():
        raise DataError(f"no {VIDEOXUM} weights at {weights} (train them with train.py --dataset {VIDEOXUM})")
    read = [VideoXumSplit.TEST.annotation_path(args.data_dir), weights] + [p for p in (record_path_for(weights),) if p.is_file()]
    return test, weights, read


def human_means(test: VideoXumDataset) -> V2VMeans:
    """The annotators' leave-one-out agreement (evaluation.v2v.human_v2v) over the split, from the annotations alone."""
    table = test.annotations
    return mean_v2v([human_v2v(table[index].vsum_onehot, str(table.video_ids[index])) for index in range(len(table))])


def evaluate_videoxum(test: VideoXumDataset, weights: Path, flags: ModelChoice, device: torch.device, workers: int) -> VideoXumEvaluation:
    """Score the test split with the weights, as the model their record names (sized to the features without one)."""
    choice, record = model_for_weights(flags, weights)
    dim = test.feature_dim()
    if record is None:
        choice = ModelChoice(choice.method, sized_for_features(choice.config, dim), choice.given)
    elif choice.config.feature_dim != dim:
        raise DataError(f"{weights} was trained on {choice.config.feature_dim}-dimensional features ({record.get('features', '?')}), "
                        f"and {test.folder} holds {dim}-dimensional ones: pass the --features it was trained on")
    model = build_model(choice, device)
    load_checkpoint(model, weights)
    model.eval()
    videos = score_v2v(model, test, device, workers, progress="test")
    rule = selection_rule_of(record)
    return VideoXumEvaluation(weights, choice, rule.label if rule is not None else "not recorded", mean_v2v(videos), human_means(test), videos,
                              test.synthetic, test.feature_name)


def _row(name: str, means: V2VMeans, source: str) -> list[str]:
    return [name, f"{means.f1_max:.2f}", f"{means.f1_mean:.2f}", "-", f"{means.kendall:.3f}", f"{means.spearman:.3f}",
            f"{means.kendall_each_mean:.3f}", f"{means.spearman_each_mean:.3f}", source]


def videoxum_table(result: VideoXumEvaluation) -> str:
    """The V2V table: our row, the Human row and the published rows, each with where it comes from."""
    header = ["Row", "F1 max", "F1 mean", "F1 (published)", "tau", "rho", "tau each (mean)", "rho each (mean)", "source"]
    rows = [
        _row(result.model.method, result.ours, f"{result.weights_path}; '{result.features}' features; epoch: {result.selection}"),
        _row("Human", result.human, "annotators' leave-one-out agreement, from vsum_onehot"),
        *[[p.method, "-", "-", f"{p.f1:.1f}", f"{p.kendall:.3f}", f"{p.spearman:.3f}", "-", "-", p.source] for p in PUBLISHED_V2V],
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    synthetic = " (SYNTHETIC data: not comparable with the published rows)" if result.synthetic else ""
    notes = [
        f"{VIDEOXUM} test split, {result.ours.n_videos} videos, V2V protocol{synthetic}: F1 in percent (top 15% of the 1 fps frames "
        "vs each annotator; max and mean over the 10 annotators); tau and rho vs the annotators' mean summary (NaN as 0), as VideoXum "
        "computes them; 'each' columns: vs each annotator's 0/1 row (not VideoXum's published tau/rho).",
        "The published F1 does not say whether it is F1 max or F1 mean; published rows use BLIP features, ours the features named.",
    ]
    return "\n".join([*lines, *notes])


def videoxum_json(result: VideoXumEvaluation) -> dict:
    return {
        VIDEOXUM: {
            "weights": str(result.weights_path), "method": result.model.method, "model_options": result.model.options(),
            "features": result.features, "selection": result.selection, "synthetic_data": result.synthetic,
            "split": "test", "ours": result.ours.as_dict(), "human": result.human.as_dict(),
            "published": [{"method": p.method, "f1": p.f1, "kendall": p.kendall, "spearman": p.spearman, "source": p.source}
                          for p in PUBLISHED_V2V],
            "videos": [{"key": v.key, "f1_max": v.f1_max, "f1_mean": v.f1_mean, "kendall": v.kendall, "spearman": v.spearman}
                       for v in result.videos],
        }
    }
