"""Evaluating weights on VideoXum's test split with its V2V protocol: one weights folder (one run per
seed) or several (--compare), beside the annotators' agreement (the Human row).

Each weights file is weights/VideoXum/[seed<S>/]split1.pt (as train.py writes it); the model is
rebuilt from the record beside it, like every other weights file (engine.evaluate.weights_evaluation.model_for_weights).
Weights without a record are sized from the feature dimension (engine.train.run_config.sized_for_features).
The tables, the JSON and the report built from these results are in sources.videoxum.comparison and
sources.videoxum.report; the score file in sources.videoxum.score_file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from config import EpochRule
from dataset.errors import DataError
from dataset.videoxum import VideoXumDataset, VideoXumSplit
from engine.run_paths import record_path_for, weights_path_for
from engine.train.run_config import sized_for_features
from engine.weights_model import build_model, model_for_weights, selection_rule_of
from evaluation.v2v import V2VMeans, V2VVideoMetrics, evaluate_video_v2v, human_v2v, mean_v2v
from models.checkpoint import load_checkpoint
from models.method_choice import ModelChoice
from sources.videoxum import VIDEOXUM, VIDEOXUM_SPLIT
from sources.videoxum.data import VideoXumFiles, predicted_scores

# The numbers a table shows per row, in its order (V2VMeans' field names); VideoXum reports the first four.
TABLE_METRICS = ("f1_max", "f1_mean", "kendall", "spearman", "kendall_each_mean", "spearman_each_mean")


@dataclass(frozen=True)
class WeightsFile:
    """One weights file to score: the folder it belongs to, its seed (None: the flat layout) and its path."""

    folder: Path
    seed: int | None
    path: Path


@dataclass
class VideoXumRun:
    """One weights file scored on the test split."""

    seed: int | None
    weights_path: Path
    record: dict | None  # the training record beside the weights (None: released or foreign weights)
    model: ModelChoice  # what the weights were scored as
    rule: EpochRule | None  # the rule that chose the epoch (None: not known)
    means: V2VMeans
    videos: list[V2VVideoMetrics]
    scores: dict[str, np.ndarray]  # per test video, the predicted scores of its 1 fps frames


@dataclass(frozen=True)
class V2VSpread:
    """Mean and sample standard deviation (ddof = 1) over seeds of each run's means; std None for one run."""

    seeds: tuple[int | None, ...]
    mean: V2VMeans
    std: V2VMeans | None

    def as_dict(self) -> dict:
        return {"seeds": list(self.seeds), "mean": self.mean.as_dict(), "std": self.std.as_dict() if self.std else None,
                "std_convention": "sample standard deviation over seeds (ddof=1)"}


@dataclass
class VideoXumFolder:
    """One weights folder's runs, one per seed."""

    folder: Path
    runs: list[VideoXumRun]

    @property
    def spread(self) -> V2VSpread:
        return spread_v2v([run.seed for run in self.runs], [run.means for run in self.runs])


@dataclass
class VideoXumEvaluation:
    """Every folder's runs on the same test videos, and the annotators' agreement on them."""

    folders: list[VideoXumFolder]
    human: V2VMeans
    synthetic: bool
    features: str
    annotation_file: Path


def spread_v2v(seeds: Sequence[int | None], runs: Sequence[V2VMeans]) -> V2VSpread:
    """Mean (and, with several runs, std with ddof = 1) of every V2V number over the runs."""
    if not runs:
        raise ValueError("no runs to summarise")
    names = [f.name for f in fields(V2VMeans) if f.name != "n_videos"]
    values = np.array([[getattr(run, name) for name in names] for run in runs], dtype=np.float64)
    n_videos = runs[0].n_videos
    mean = V2VMeans(n_videos, **dict(zip(names, map(float, values.mean(axis=0)), strict=True)))
    std = V2VMeans(n_videos, **dict(zip(names, map(float, values.std(axis=0, ddof=1)), strict=True))) if len(runs) > 1 else None
    return V2VSpread(tuple(seeds), mean, std)


def weights_files(folders: Sequence[Path], seeds: Sequence[int | None]) -> list[WeightsFile]:
    """Every folder's weights file per seed, each checked to exist (before any work)."""
    files = [WeightsFile(Path(folder), seed, weights_path_for(folder, VIDEOXUM, VIDEOXUM_SPLIT, seed)) for folder in folders for seed in seeds]
    missing = [f.path for f in files if not f.path.is_file()]
    if missing:
        raise DataError(f"no {VIDEOXUM} weights at {', '.join(map(str, missing))} (train them with train.py --dataset {VIDEOXUM}"
                        + (" --seeds ...)" if seeds != [None] else ")"))
    return files


def videoxum_inputs(data_dir: Path, features: str, workers: int, folders: Sequence[Path],
                    seeds: Sequence[int | None]) -> tuple[VideoXumDataset, list[WeightsFile], list[Path]]:
    """The test split (checked: annotations, every feature file), the weights files, and every file read."""
    test = VideoXumFiles(data_dir, features, workers).split(VideoXumSplit.TEST)
    files = weights_files(folders, seeds)
    read = [VideoXumSplit.TEST.annotation_path(data_dir)]
    read += [path for f in files for path in (f.path, record_path_for(f.path)) if path.is_file()]
    return test, files, read


def check_choices(files: Sequence[WeightsFile], flags: Mapping[Path, ModelChoice]) -> None:
    """Reconcile every folder's flags with every record before any evaluation (engine.evaluate.weights_evaluation.check_models)."""
    for weights in files:
        model_for_weights(flags[weights.folder], weights.path)


def human_means(test: VideoXumDataset) -> V2VMeans:
    """The annotators' leave-one-out agreement (evaluation.v2v.human_v2v) over the split, from the annotations alone."""
    table = test.annotations
    return mean_v2v([human_v2v(table[index].vsum_onehot, str(table.video_ids[index])) for index in range(len(table))])


def evaluate_weights_file(test: VideoXumDataset, weights: WeightsFile, flags: ModelChoice, device: torch.device,
                          workers: int) -> VideoXumRun:
    """Score the test split with one weights file, as the model its record names (sized to the features without one)."""
    choice, record = model_for_weights(flags, weights.path)
    dim = test.feature_dim()
    if record is None:
        choice = ModelChoice(choice.method, sized_for_features(choice.config, dim), choice.given)
    elif choice.config.feature_dim != dim:
        raise DataError(f"{weights.path} was trained on {choice.config.feature_dim}-dimensional features ({record.get('features', '?')}), "
                        f"and {test.folder} holds {dim}-dimensional ones: pass the --features it was trained on")
    model = build_model(choice, device)
    load_checkpoint(model, weights.path)
    model.eval()
    seed = f" seed {weights.seed}" if weights.seed is not None else ""
    videos, scores = [], {}
    for record_, predicted in predicted_scores(model, test, device, workers, progress=f"test{seed}"):
        videos.append(evaluate_video_v2v(predicted, record_.user_summary, record_.key))
        scores[record_.key] = np.asarray(predicted, dtype=np.float32)
    return VideoXumRun(weights.seed, weights.path, record, choice, selection_rule_of(record), mean_v2v(videos), videos, scores)


def evaluate_videoxum(test: VideoXumDataset, files: Sequence[WeightsFile], flags: Mapping[Path, ModelChoice], device: torch.device,
                      workers: int) -> VideoXumEvaluation:
    """Every weights file scored on the test split, grouped by folder, and the Human row on the same videos."""
    check_choices(files, flags)
    folders: dict[Path, VideoXumFolder] = {}
    for weights in files:
        run = evaluate_weights_file(test, weights, flags[weights.folder], device, workers)
        folders.setdefault(weights.folder, VideoXumFolder(weights.folder, [])).runs.append(run)
    return VideoXumEvaluation(list(folders.values()), human_means(test), test.synthetic, test.feature_name,
                              VideoXumSplit.TEST.annotation_path(test.data_dir))
