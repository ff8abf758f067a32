"""Running a model over a split's videos, with the features moved to the device once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from config import DatasetSpec
from dataset.h5 import VideoRecord
from evaluation.protocol import VideoMetrics, evaluate_video


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


@torch.no_grad()
def predict_scores(model: nn.Module, features: torch.Tensor) -> np.ndarray:
    """Step scores of one video in eval mode. features: Sized [T, 1024]; returns Sized [T] float32."""
    was_training = model.training
    model.eval()
    try:
        return model(features).float().cpu().numpy()
    finally:
        model.train(was_training)


def evaluate_model(model: nn.Module, videos: Sequence[DeviceVideo], spec: DatasetSpec) -> list[VideoMetrics]:
    """The protocol's metrics for each video."""
    return [evaluate_video(predict_scores(model, video.features), video.record, spec) for video in videos]
