"""Scoring a model on a Most-replayed split under a published protocol (evaluation/replay_metrics.py): every video
streamed once, predicted, and scored per video; the means over videos are what the tables report.

The protocols' own code is evaluation/replay_metrics.py's; this module only feeds it a split, one video at a
time, and keeps the per-video numbers (and, when asked, the predicted scores for --save-scores).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from dataset.replay import ReplayDataset
from evaluation.replay_metrics import ReplayProtocol, mean_over_videos, video_metrics
from models.csta import predict_scores
from sources.streaming import stream_records
from utils.progress import progress_bar


@dataclass
class ScoredSplit:
    """One model on one split: per protocol, each video's numbers in the split's order; the scores when kept."""

    keys: list[str] = field(default_factory=list)
    per_video: dict[ReplayProtocol, list[dict[str, float]]] = field(default_factory=dict)
    scores: dict[str, np.ndarray] = field(default_factory=dict)

    def means(self, protocol: ReplayProtocol) -> dict[str, float]:
        """The mean of each of the protocol's metrics over the split's videos (what is reported)."""
        return {name: float(value) for name, value in mean_over_videos(self.per_video[protocol]).items()}


def score_split(model: nn.Module, dataset: ReplayDataset, device: torch.device, workers: int, protocols: Sequence[ReplayProtocol],
                progress: str | None = None, keep_scores: bool = False) -> ScoredSplit:
    """Every video of ``dataset`` (streamed) predicted by ``model`` (eval mode) and scored under each of ``protocols``."""
    scored = ScoredSplit(per_video={protocol: [] for protocol in protocols})
    records = stream_records(dataset, workers=workers)
    for record in progress_bar(records, total=len(dataset), desc=progress or "", unit="video", shown=progress is not None, lines=False,
                               leave=False):
        predicted = predict_scores(model, torch.from_numpy(record.features).to(device))
        scored.keys.append(record.key)
        for protocol in protocols:
            scored.per_video[protocol].append(video_metrics(protocol, predicted, record.gtscore, record.user_summary[0], record.change_points))
        if keep_scores:
            scored.scores[record.key] = np.asarray(predicted, dtype=np.float32)
    return scored


def mean_scores(model: nn.Module, dataset: ReplayDataset, device: torch.device, workers: int) -> list[float]:
    """Each video's mean predicted score (eval mode), streamed: what CA-SUM's choice among sigmas compares (no labels)."""
    return [float(predict_scores(model, torch.from_numpy(record.features).to(device)).mean())
            for record in stream_records(dataset, workers=workers)]
