"""VideoXum for train.py and inference.py: its splits read lazily, streamed through DataLoader workers,
scored with its V2V protocol (the model is sized from its feature dimension by engine.train.run_config.sized_for_features).

Nothing here holds a split's features in memory: each pass reads every video's npz file once, in
worker processes, and hands it over (moved to the device) as the loop asks for it. What stays in
memory is the annotation table (dataset.videoxum.AnnotationTable) and one video per worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dataset.h5 import VideoRecord
from dataset.videoxum import VideoXumDataset, VideoXumSplit
from evaluation.v2v import V2VMeans, V2VVideoMetrics, evaluate_video_v2v, mean_v2v
from models.csta import predict_scores
from sources.streaming import StreamedTrainingVideos, stream_records  # noqa: F401 - shared with Mr.HiSum and MoSu; training.py and the tests import them from here
from sources.videoxum import DEFAULT_WORKERS
from utils.progress import progress_bar


@dataclass(frozen=True)
class VideoXumFiles:
    """Where a run's VideoXum data is: the root holding anno/ and feat/, and the feature folder's name."""

    data_dir: Path
    features: str
    workers: int = DEFAULT_WORKERS

    def split(self, split: VideoXumSplit) -> VideoXumDataset:
        """One split, checked now (annotations parsed, every feature file present); features stay on disk."""
        return VideoXumDataset(self.data_dir, split, self.features)

    def open(self) -> VideoXumSplits:
        """The three splits, each checked (see ``split``), before any training starts."""
        return VideoXumSplits(self, *(self.split(split) for split in VideoXumSplit))

    def annotation_files(self) -> list[Path]:
        """The files a run reads, which no output may replace."""
        return [split.annotation_path(self.data_dir) for split in VideoXumSplit]


@dataclass(frozen=True)
class VideoXumSplits:
    """VideoXum's own split, opened: train to learn from, val to choose the epoch on, test scored once."""

    files: VideoXumFiles
    train: VideoXumDataset
    val: VideoXumDataset
    test: VideoXumDataset


def predicted_scores(model: nn.Module, dataset: VideoXumDataset, device: torch.device, workers: int = DEFAULT_WORKERS,
                     progress: str | None = None) -> Iterator[tuple[VideoRecord, np.ndarray]]:
    """Every video of ``dataset`` (streamed) with ``model``'s scores of its 1 fps frames (eval mode), Sized [n]."""
    records = stream_records(dataset, workers=workers)
    for record in progress_bar(records, total=len(dataset), desc=progress or "", unit="video", shown=progress is not None, lines=False,
                               leave=False):
        yield record, predict_scores(model, torch.from_numpy(record.features).to(device))


def score_v2v(model: nn.Module, dataset: VideoXumDataset, device: torch.device, workers: int = DEFAULT_WORKERS,
              progress: str | None = None) -> list[V2VVideoMetrics]:
    """Every video of ``dataset`` scored by ``model`` (eval mode) under VideoXum's V2V protocol, streamed."""
    return [evaluate_video_v2v(scores, record.user_summary, record.key)
            for record, scores in predicted_scores(model, dataset, device, workers, progress)]


def mean_score_v2v(model: nn.Module, dataset: VideoXumDataset, device: torch.device, workers: int = DEFAULT_WORKERS,
                   progress: str | None = None) -> V2VMeans:
    return mean_v2v(score_v2v(model, dataset, device, workers, progress))


def mean_scores(model: nn.Module, dataset: VideoXumDataset, device: torch.device, workers: int = DEFAULT_WORKERS) -> list[float]:
    """Each video's mean predicted score (eval mode), streamed: what CA-SUM's choice among sigmas compares."""
    return [float(predict_scores(model, torch.from_numpy(record.features).to(device)).mean())
            for record in stream_records(dataset, workers=workers)]
