"""inference.py on Mr.HiSum or MoSu: every weights folder's runs (one per seed) scored on the test split under the
chosen protocol, each metric from its own checkpoint where the protocol keeps one per metric (Mr.HiSum's).

Each run is <folder>/<name>/[seed<S>/]split1.pt as train.py writes it, with the protocol's other checkpoints
beside it (split1_map50.pt, split1_map15.pt under Mr.HiSum's); the model is rebuilt from the record beside
split1.pt. Weights chosen under the other protocol (or without a record) are scored as one checkpoint for
every metric, and the table says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from dataset.errors import DataError
from dataset.replay import ReplayDataset
from engine.run_paths import record_path_for, weights_path_for
from engine.train.run_config import sized_for_features
from engine.weights_model import build_model, model_for_weights
from evaluation.replay_metrics import ReplayProtocol, batch_of_64_means, mean_over_videos
from models.checkpoint import load_checkpoint
from models.method_choice import ModelChoice
from sources.replay import REPLAY_SPLIT
from sources.replay.evaluation import score_split
from sources.replay.training import checkpoint_for_metric, checkpoint_keys, checkpoint_path


@dataclass(frozen=True)
class ReplayWeights:
    """One run to score: its folder, seed (None: the flat layout) and split1.pt."""

    folder: Path
    seed: int | None
    path: Path


@dataclass
class ReplayRun:
    """One run scored on the test split."""

    seed: int | None
    weights_path: Path
    record: dict | None
    model: ModelChoice
    checkpoints: dict[str, Path]  # the checkpoints scored, by key (one: "all" when the weights were not chosen under this protocol)
    test: dict[str, float]  # each metric from its checkpoint
    per_checkpoint: dict[str, dict[str, float]]
    videos: list[dict]  # split1.pt's per-video numbers, with the video's key
    batch_of_64: dict[str, float]  # TripleSumm's averaging of split1.pt's numbers (to state how far it moves them)
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # split1.pt's predicted scores per video (--save-scores)
    note: str = ""


@dataclass
class ReplayEvaluation:
    name: str
    protocol: ReplayProtocol
    synthetic: bool
    n_videos: int
    folders: dict[Path, list[ReplayRun]]
    files: list[Path]


def weights_files(name: str, folders: Sequence[Path], seeds: Sequence[int | None]) -> list[ReplayWeights]:
    """Every folder's split1.pt per seed, each checked to exist (before any work)."""
    files = [ReplayWeights(Path(folder), seed, weights_path_for(folder, name, REPLAY_SPLIT, seed)) for folder in folders for seed in seeds]
    missing = [str(f.path) for f in files if not f.path.is_file()]
    if missing:
        raise DataError(f"no {name} weights at {', '.join(missing)} (train them with train.py --dataset {name}"
                        + (" --seeds ...)" if list(seeds) != [None] else ")"))
    return files


def files_read(weights: Sequence[ReplayWeights], protocol: ReplayProtocol) -> list[Path]:
    """The weights, their records and their other checkpoints: inputs no output may replace."""
    paths = []
    for entry in weights:
        paths += [entry.path, record_path_for(entry.path)]
        paths += [checkpoint_path(entry.path, protocol, key) for key in checkpoint_keys(protocol)]
    return [path for path in dict.fromkeys(paths) if path.is_file()]


def _checkpoints(weights: Path, record: dict | None, protocol: ReplayProtocol) -> tuple[dict[str, Path], str]:
    """The checkpoints to score and a note when they are not the protocol's own."""
    if record is None:
        return {"all": weights}, "no training record: one checkpoint for every metric"
    chosen_under = record.get("evaluation_protocol")
    if chosen_under != protocol.value:
        return {"all": weights}, f"weights chosen under the {chosen_under} protocol: one checkpoint for every metric"
    paths = {key: checkpoint_path(weights, protocol, key) for key in checkpoint_keys(protocol)}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise DataError(f"{weights}: the {protocol.value} protocol's other checkpoints are missing: {', '.join(missing)}")
    return paths, ""


def score_run(test: ReplayDataset, weights: ReplayWeights, flags: ModelChoice, protocol: ReplayProtocol, device: torch.device,
              workers: int, keep_scores: bool) -> ReplayRun:
    """One run's checkpoints scored on the test split; each metric taken from its own checkpoint."""
    choice, record = model_for_weights(flags, weights.path)
    dim = test.index.feature_dim
    if record is None:
        choice = ModelChoice(choice.method, sized_for_features(choice.config, dim), choice.given)
    elif choice.config.feature_dim != dim:
        raise DataError(f"{weights.path} was trained on {choice.config.feature_dim}-dimensional features, and {test.files.features} "
                        f"holds {dim}-dimensional ones")
    model = build_model(choice, device)
    paths, note = _checkpoints(weights.path, record, protocol)
    per_checkpoint, first = {}, None
    seed = f" seed {weights.seed}" if weights.seed is not None else ""
    for key, path in paths.items():
        load_checkpoint(model, path)
        model.eval()
        scored = score_split(model, test, device, workers, (protocol,), progress=f"test{seed} ({key})", keep_scores=keep_scores and first is None)
        per_checkpoint[key] = scored.means(protocol)
        first = first or scored
    test_numbers = {metric: per_checkpoint[checkpoint_for_metric(protocol, metric) if "all" not in paths else "all"][metric]
                    for metric in protocol.metrics}
    videos = [{"video": key, **numbers} for key, numbers in zip(first.keys, first.per_video[protocol], strict=True)]
    return ReplayRun(weights.seed, weights.path, record, choice, paths, test_numbers, per_checkpoint, videos,
                     batch_of_64_means(first.per_video[protocol]), first.scores, note)


def evaluate_replay(name: str, test: ReplayDataset, weights: Sequence[ReplayWeights], flags: Mapping[Path, ModelChoice],
                    protocol: ReplayProtocol, device: torch.device, workers: int, keep_scores: bool, synthetic: bool) -> ReplayEvaluation:
    """Every run scored, grouped by folder."""
    for entry in weights:  # every folder's flags reconciled with every record before any scoring
        model_for_weights(flags[entry.folder], entry.path)
    folders: dict[Path, list[ReplayRun]] = {}
    for entry in weights:
        folders.setdefault(entry.folder, []).append(score_run(test, entry, flags[entry.folder], protocol, device, workers, keep_scores))
    return ReplayEvaluation(name, protocol, synthetic, len(test), folders, test.files.paths)


def across_seeds(runs: Sequence[ReplayRun]) -> dict:
    """Mean and (several runs) sample std (ddof 1) of each metric over the runs."""
    values = {metric: np.array([run.test[metric] for run in runs], dtype=np.float64) for metric in runs[0].test}
    return {"seeds": [run.seed for run in runs], "mean": mean_over_videos([run.test for run in runs]),
            "std": {metric: float(v.std(ddof=1)) for metric, v in values.items()} if len(runs) > 1 else None,
            "std_convention": "sample standard deviation over seeds (ddof=1)"}
