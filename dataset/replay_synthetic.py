"""SYNTHETIC stand-ins of Mr.HiSum and MoSu in exactly their authors' layouts (dataset/replay.py), for tests,
the demo and the memory measurement (bench/bench_replay_memory.py).

Every file says so: the h5 files carry the root attribute ``synthetic`` (the readers report it), the split
file a ``"synthetic": true`` entry, and the folder a SYNTHETIC marker file.

Lengths are drawn from a log-normal with a median of ``median_rows`` cut to [min_rows, max_rows]. The
defaults are an ASSUMPTION: Mr.HiSum's videos are YouTube-8M videos, which YouTube-8M keeps between 120 and
500 seconds, at one row a second; we assume a median of 180 s, the per-video durations (metadata.csv) not
being available here. The "Most replayed" curve is a smooth random curve scaled to [0, 1]; shots are runs of
2 to 12 rows; gt_summary is the 15% knapsack of the curve over the shots, as Mr.HiSum made it; features are
unit noise plus the curve along one direction, so a model can learn something from them.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset.h5_file import create_h5
from dataset.replay import SYNTHETIC_ATTR, ReplayFiles, ReplayLayout, ReplaySplit
from evaluation.knapsack import knapsack
from utils.files import atomic_output

SYNTHETIC_MARKER = "SYNTHETIC"
MRHISUM_SPLIT_SIZES = (27892, 2000, 2000)  # Mr.HiSum's train/val/test (31,892 videos)


@dataclass(frozen=True)
class SyntheticReplayConfig:
    n_videos: int = 12
    dim: int = 1024
    median_rows: int = 180
    min_rows: int = 120
    max_rows: int = 500
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_videos < 3 or self.dim < 1 or not 1 <= self.min_rows <= self.median_rows <= self.max_rows:
            raise ValueError(f"synthetic data: need n_videos >= 3, dim >= 1 and 1 <= min_rows <= median_rows <= max_rows, got {self}")


def split_sizes(n_videos: int) -> tuple[int, int, int]:
    """Train/val/test counts in Mr.HiSum's proportions, at least one each (two from 8 videos, so tiny sets still average)."""
    val = max(1 if n_videos < 8 else 2, round(n_videos * MRHISUM_SPLIT_SIZES[1] / sum(MRHISUM_SPLIT_SIZES)))
    return n_videos - 2 * val, val, val


def _lengths(rng: np.random.Generator, cfg: SyntheticReplayConfig) -> np.ndarray:
    drawn = np.exp(rng.normal(math.log(cfg.median_rows), 0.35, cfg.n_videos))
    return np.clip(np.round(drawn), cfg.min_rows, cfg.max_rows).astype(np.int64)


def _video(rng: np.random.Generator, rows: int, direction: np.ndarray) -> tuple[np.ndarray, ...]:
    """(features, gtscore, change_points, gt_summary) of one video."""
    knots = rng.random(max(2, rows // 10) + 1)
    curve = np.interp(np.arange(rows), np.linspace(0, rows - 1, len(knots)), knots)
    curve = ((curve - curve.min()) / max(curve.max() - curve.min(), 1e-6)).astype(np.float32)
    bounds = np.cumsum(rng.integers(2, 13, size=rows))
    starts = np.concatenate([[0], bounds[bounds < rows]])
    shots = np.stack([starts, np.concatenate([starts[1:] - 1, [rows - 1]])], axis=1).astype(np.int64)
    lengths = (shots[:, 1] - shots[:, 0] + 1).tolist()
    values = [float(curve[a:b + 1].mean()) for a, b in shots]
    summary = np.zeros(rows, dtype=np.uint8)
    for shot in knapsack(int(rows * 0.15), lengths, values):
        summary[shots[shot, 0]:shots[shot, 1] + 1] = 1
    features = (rng.standard_normal((rows, len(direction))).astype(np.float32) + curve[:, None] * direction[None, :])
    return features, curve, shots, summary


def write_synthetic_replay(files: ReplayFiles, cfg: SyntheticReplayConfig, prefix: str = "video_") -> Path:
    """Write ``files`` (their layout) with ``cfg.n_videos`` SYNTHETIC videos; returns the folder. Each file is written
    under a temporary name and renamed when complete."""
    rng = np.random.default_rng(cfg.seed)
    folder = files.split.parent
    folder.mkdir(parents=True, exist_ok=True)
    keys = [f"{prefix}{index + 1}" for index in range(cfg.n_videos)]
    direction = (0.5 * rng.standard_normal(cfg.dim)).astype(np.float32)
    lengths = _lengths(rng, cfg)
    separate = files.features != files.labels
    with contextlib.ExitStack() as stack:
        labels = stack.enter_context(create_h5(stack.enter_context(atomic_output(files.labels))))
        features_file = stack.enter_context(create_h5(stack.enter_context(atomic_output(files.features)))) if separate else labels
        for handle in {id(labels): labels, id(features_file): features_file}.values():
            handle.attrs[SYNTHETIC_ATTR] = True
        for key, rows in zip(keys, lengths, strict=True):
            features, score, shots, summary = _video(rng, int(rows), direction)
            group = labels.create_group(key)
            group.create_dataset(files.score_field, data=score)
            group.create_dataset("change_points", data=shots)
            group.create_dataset("gt_summary", data=summary)
            if files.layout is ReplayLayout.MRHISUM:
                group.create_dataset("features", data=features)
            else:
                features_file.create_dataset(key, data=features)
    train, val, _ = split_sizes(cfg.n_videos)
    order = rng.permutation(cfg.n_videos)
    split = {ReplaySplit.TRAIN.value: [keys[i] for i in order[:train]], ReplaySplit.VAL.value: [keys[i] for i in order[train:train + val]],
             ReplaySplit.TEST.value: [keys[i] for i in order[train + val:]], "synthetic": True}
    with atomic_output(files.split) as tmp:
        tmp.write_text(json.dumps(split))
    (folder / SYNTHETIC_MARKER).write_text(f"SYNTHETIC {files.dataset} stand-in ({files.layout.value} layout), not the real data set\n")
    return folder
