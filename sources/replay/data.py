"""A Most-replayed data set's three splits as a run opens them: the files found (the source's layout), each
split checked and indexed (dataset/replay.py), then streamed through DataLoader workers (sources/streaming.py).

What stays in memory is each split's keys and lengths; the features are read one video per worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from dataset.replay import ReplayDataset, ReplayFiles, ReplaySplit, open_replay_split, read_split_file
from sources.replay import REPLAY_SPLIT, ReplaySource
from sources.source import DataRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayRequest:
    """What a run reads: the source, its files, the protocol that scores it, --limit and --workers (picklable: Ray tasks get it)."""

    source: ReplaySource
    files: ReplayFiles
    protocol: str  # evaluation/replay_metrics.ReplayProtocol's value
    limit: int | None
    workers: int

    @classmethod
    def from_data(cls, source: ReplaySource, data: DataRequest) -> ReplayRequest:
        """The command line's request; a DataError naming every missing file."""
        options = data.options
        files = source.files(data.data_dir, options)
        files.check_present()
        return cls(source, files, options["replay_protocol"], options.get("limit"), options["workers"])

    def split(self, split: ReplaySplit) -> ReplayDataset:
        """One split, checked now (its keys in the h5 files, every label, the features' shapes)."""
        keys = read_split_file(self.files)[split]
        index = open_replay_split(self.files, split, keys, self.limit)
        if index.short:
            log.warning("%s %s: %d video(s) of fewer rows than one clip left out: %s", self.source.name, split.label, len(index.short),
                        ", ".join(index.short[:10]) + (" ..." if len(index.short) > 10 else ""))
        return ReplayDataset(index)

    def open(self) -> ReplayData:
        """The three splits, each checked (see ``split``), before any training starts."""
        return ReplayData(self, *(self.split(split) for split in ReplaySplit))

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def number(self) -> int:
        return REPLAY_SPLIT

    def input_files(self) -> list[Path]:
        """The files a run reads, which no output may replace."""
        return self.files.paths


@dataclass(frozen=True)
class ReplayData:
    """The split opened: train to learn from, val to choose the epoch on, test scored once."""

    request: ReplayRequest
    train: ReplayDataset
    val: ReplayDataset
    test: ReplayDataset

    @property
    def synthetic(self) -> bool:
        return self.request.files.synthetic()

    @property
    def feature_dim(self) -> int:
        return self.train.index.feature_dim

    def counts(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    def left_out(self) -> dict[str, list[str]]:
        """Per split, the videos left out for having fewer rows than one clip."""
        return {name: list(split.index.short) for name, split in (("train", self.train), ("val", self.val), ("test", self.test))}
