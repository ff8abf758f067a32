"""Running a model over a split's videos, with the features moved to the device once.

Two routes (``ScoringRoute``): the exact one runs the model as it is, bit-identical to the
reference implementation; the fast one runs an eval-only copy with the CNN's batch norms folded
into its convolutions (models/fast_eval.py) under ``torch.inference_mode``, about twice as fast
on a CPU, its scores within 2e-5 (models/fast_eval.FAST_SCORING_BOUND) of the exact ones (tests/engine/evaluate/test_model_scores.py). The exact
route stays the default of every caller that promises bit-identical scores.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from config import DatasetSpec
from dataset.h5 import VideoRecord
from evaluation.protocol import VideoMetrics, evaluate_video
from models.csta import predict_scores
from models.fast_eval import fold_for_inference

__all__ = ["DeviceVideo", "ScoringRoute", "Scorer", "evaluate_model", "predict_scores", "to_device"]


class ScoringRoute(enum.Enum):
    EXACT = "exact"  # the model as it is: bit-identical to the reference implementation
    FAST = "fast"  # batch norms folded, inference mode: within 2e-5 of the exact scores


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


class Scorer:
    """Scores videos with one model's current weights on the chosen route.

    The fast route folds a copy of the model once, when the scorer is made: make a new scorer
    after the weights change (a training epoch, another checkpoint loaded).
    """

    def __init__(self, model: nn.Module, route: ScoringRoute = ScoringRoute.EXACT) -> None:
        self.route = route
        self.model = fold_for_inference(model) if route is ScoringRoute.FAST else model

    def __call__(self, features: torch.Tensor) -> np.ndarray:
        """Step scores of one video, Sized [T] float32 (features: Sized [T, 1024], on the model's device)."""
        if self.route is ScoringRoute.EXACT:
            return predict_scores(self.model, features)
        with torch.inference_mode():
            return self.model(features).float().cpu().numpy()


def evaluate_model(model: nn.Module, videos: Sequence[DeviceVideo], spec: DatasetSpec,
                   route: ScoringRoute = ScoringRoute.EXACT) -> list[VideoMetrics]:
    """The protocol's metrics for each video."""
    scorer = Scorer(model, route)
    return [evaluate_video(scorer(video.features), video.record, spec) for video in videos]
