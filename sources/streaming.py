"""Streaming a train/val/test source's videos through DataLoader workers: what VideoXum, Mr.HiSum and MoSu share.

A source's torch Dataset reads one video per item (a VideoRecord) from its files; these helpers hand the
records over in a given order, read by worker processes, so that no split is ever held in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from dataset.h5 import VideoRecord
from engine.evaluate.model_scores import DeviceVideo
from engine.train.epoch import VideoStream

DEFAULT_WORKERS = 2  # DataLoader workers reading a source's files


def _first(record: VideoRecord) -> VideoRecord:
    """DataLoader's collate for batch_size=None: the record as the worker made it."""
    return record


def stream_records(dataset: Dataset, order: Sequence[int] | None = None, workers: int = DEFAULT_WORKERS) -> Iterator[VideoRecord]:
    """The records of ``order`` (default: every video in the file's order), read by ``workers`` processes.

    The order is given as the loader's sampler, and the loader draws its workers' base seed from a
    generator of its own (reading features needs no randomness): torch's global generator, which the
    epoch order and dropout draw from, is left untouched, so a streamed epoch is the same, bit for bit,
    as one over the same videos held in memory, with any number of workers.
    """
    indices = list(range(len(dataset))) if order is None else list(order)  # type: ignore[arg-type]
    loader = DataLoader(dataset, batch_size=None, sampler=indices, num_workers=workers, collate_fn=_first,
                        generator=torch.Generator().manual_seed(0), prefetch_factor=2 if workers else None)
    yield from loader


class StreamedTrainingVideos(VideoStream):
    """A streamed split as the training loop's videos: each epoch streams them in the order it draws."""

    def __init__(self, dataset: Dataset, device: torch.device, workers: int = DEFAULT_WORKERS) -> None:
        self.dataset, self.device, self.workers = dataset, device, workers

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def in_order(self, order: Sequence[int]) -> Iterator[DeviceVideo]:
        for record in stream_records(self.dataset, order, self.workers):
            yield DeviceVideo(record, torch.from_numpy(record.features).to(self.device), torch.from_numpy(record.gtscore).to(self.device))
