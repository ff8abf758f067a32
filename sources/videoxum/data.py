"""VideoXum for train.py and inference.py: its splits read lazily, streamed through DataLoader workers,
scored with its V2V protocol (the model is sized from its feature dimension by engine.train.run_config.sized_for_features).

Nothing here holds a split's features in memory: each pass reads every video's npz file once, in
worker processes, and hands it over (moved to the device) as the loop asks for it. What stays in
memory is the annotation table (dataset.videoxum.AnnotationTable) and one video per worker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from dataset.h5 import VideoRecord
from dataset.videoxum import VideoXumDataset, VideoXumSplit
from engine.evaluate.model_scores import DeviceVideo
from engine.train.epoch import VideoStream
from evaluation.v2v import V2VMeans, V2VVideoMetrics, evaluate_video_v2v, mean_v2v
from models.csta import predict_scores
from sources.videoxum import DEFAULT_WORKERS


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


def _first(record: VideoRecord) -> VideoRecord:
    """DataLoader's collate for batch_size=None: the record as the worker made it."""
    return record


def stream_records(dataset: VideoXumDataset, order: Sequence[int] | None = None, workers: int = DEFAULT_WORKERS) -> Iterator[VideoRecord]:
    """The records of ``order`` (default: every video in the file's order), read by ``workers`` processes.

    The order is given as the loader's sampler, and the loader draws its workers' base seed from a
    generator of its own (reading features needs no randomness): torch's global generator, which the
    epoch order and dropout draw from, is left untouched, so a streamed epoch is the same, bit for bit,
    as one over the same videos held in memory, with any number of workers.
    """
    indices = list(range(len(dataset))) if order is None else list(order)
    loader = DataLoader(dataset, batch_size=None, sampler=indices, num_workers=workers, collate_fn=_first,
                        generator=torch.Generator().manual_seed(0), prefetch_factor=2 if workers else None)
    yield from loader


class StreamedTrainingVideos(VideoStream):
    """A VideoXum split as the training loop's videos: each epoch streams them in the order it draws."""

    def __init__(self, dataset: VideoXumDataset, device: torch.device, workers: int = DEFAULT_WORKERS) -> None:
        self.dataset, self.device, self.workers = dataset, device, workers

    def __len__(self) -> int:
        return len(self.dataset)

    def in_order(self, order: Sequence[int]) -> Iterator[DeviceVideo]:
        for record in stream_records(self.dataset, order, self.workers):
            yield DeviceVideo(record, torch.from_numpy(record.features).to(self.device), torch.from_numpy(record.gtscore).to(self.device))


def predicted_scores(model: nn.Module, dataset: VideoXumDataset, device: torch.device, workers: int = DEFAULT_WORKERS,
                     progress: str | None = None) -> Iterator[tuple[VideoRecord, np.ndarray]]:
    """Every video of ``dataset`` (streamed) with ``model``'s scores of its 1 fps frames (eval mode), Sized [n]."""
    records = stream_records(dataset, workers=workers)
    for record in tqdm(records, total=len(dataset), desc=progress, unit="video", disable=progress is None, leave=False):
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
