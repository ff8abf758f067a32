"""Running a model over a split's videos, with the features moved to the device once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from config import DatasetSpec
from dataset.h5 import VideoRecord
from evaluation.protocol import VideoMetrics, evaluate_video
from models.csta import predict_scores


@dataclass
class DeviceVideo:
    """A video's model inputs, resident on the device for the whole run."""

    record: VideoRecord
    features: torch.Tensor  # Sized [T, 1024]
    gtscore: torch.Tensor  # Sized [T]


def to_device(videos: Sequence[VideoRecord], device: torch.device) -> list[DeviceVideo]:
    return [
        DeviceVideo(video, torch.from_numpy(video.features).to(device), torch.from_numpy(video.gtscore).to(device))
        for video in videos
    ]


def evaluate_model(model: nn.Module, videos: Sequence[DeviceVideo], spec: DatasetSpec) -> list[VideoMetrics]:
    """The protocol's metrics for each video."""
    return [evaluate_video(predict_scores(model, video.features), video.record, spec) for video in videos]
