"""The reference's video pipeline (its video_helper), restated for tests: OpenCV decoding, GoogLeNet
one frame per call, L2 normalisation, then KTS on the float32 kernel with up to n - 1 change points."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from torch import nn
from torchvision.models import GoogLeNet_Weights, googlenet

from kts import change_points_to_shots, cpd_auto


def reference_style_features(frames: list[np.ndarray]) -> np.ndarray:
    """Features as the reference computes them: one RGB frame at a time through the network's
    children up to the average pool (ImageNet weights from TORCH_HOME), then L2 normalisation. Sized [n, 1024]."""
    weights = GoogLeNet_Weights.IMAGENET1K_V1
    net = nn.Sequential(*list(googlenet(weights=weights).children())[:-2]).eval()
    out = []
    with torch.no_grad():
        for frame in frames:
            x = net(weights.transforms()(Image.fromarray(frame)).unsqueeze(0)).squeeze()
            out.append((x / (torch.norm(x) + 1e-10)).numpy())
    return np.stack(out)


def opencv_frames(path: Path) -> list[np.ndarray]:
    """Every frame as the reference reads it: OpenCV's decoder, BGR turned into RGB."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def reference_shots(features: np.ndarray) -> np.ndarray:
    """The reference's KTS call on every frame's features: shots [first, last], Sized [m + 1, 2]."""
    points, _ = cpd_auto(features @ features.T, len(features) - 1, 1)
    return change_points_to_shots(points, len(features))
