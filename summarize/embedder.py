"""GoogLeNet pool5 features of video frames, as the eccv16 features and the reference pipeline make them.

Per frame: Resize 256, CenterCrop 224, ImageNet mean/std (torchvision's IMAGENET1K_V1 transforms,
on a PIL image as the reference does), the GoogLeNet trunk and its global average pool (no
dropout, no classifier), then L2 normalisation. Frames go through the network in batches.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.models import GoogLeNet, googlenet

from models.backbone import (
    IMAGENET_WEIGHTS,
    BackboneInit,
    BackboneOrigin,
    build_googlenet,
    imagenet_file_origin,
    seeded_random_googlenet,
    trunk_feature_map,
)
from models.checkpoint import CheckpointMismatch, read_state_dict


class BackboneSource(enum.Enum):
    IMAGENET = "imagenet"  # torchvision's cache (or download)
    FILE = "file"  # --backbone-weights PATH
    RANDOM = "random"  # --random-backbone: tests and demos only


class FrameEmbedder:
    """Turns RGB frames into L2-normalised 1024-d GoogLeNet features on one device."""

    def __init__(self, net: GoogLeNet, device: torch.device, origin: BackboneOrigin, weights_path: Path | None = None) -> None:
        self.net = net.to(device).eval()
        self.device = device
        self.origin = origin  # where the weights came from, for every output
        self.weights_path = weights_path  # the file given by path (BackboneOrigin.FILE)
        self.transform = IMAGENET_WEIGHTS.transforms()
        self.memory_format = torch.contiguous_format

    @property
    def description(self) -> str:
        """The backbone in words, for logs and the JSON record."""
        if self.origin is BackboneOrigin.FILE:
            return f"GoogLeNet weights from {self.weights_path}"
        if self.origin is BackboneOrigin.RANDOM:
            return "RANDOM backbone: features are not ImageNet features"
        return self.origin.description

    def match_reference_exactly(self, exact: bool) -> None:
        """exact: the reference's memory layout (with batches of one frame, bit-identical features);
        otherwise channels-last, about twice as fast on CPU, equal up to float rounding (~1e-17 seen)."""
        self.memory_format = torch.contiguous_format if exact else torch.channels_last
        self.net = self.net.to(memory_format=self.memory_format)

    def preprocess(self, frame: np.ndarray) -> torch.Tensor:
        """RGB uint8 Sized [H, W, 3] -> normalised crop Sized [3, 224, 224] (CPU; safe in a worker thread)."""
        return self.transform(Image.fromarray(frame))

    @torch.inference_mode()
    def embed(self, crops: Sequence[torch.Tensor]) -> np.ndarray:
        """Features of preprocessed frames. Returns Sized [len(crops), 1024], float32."""
        x = torch.stack(list(crops)).to(self.device).contiguous(memory_format=self.memory_format)
        x = self.net.avgpool(trunk_feature_map(self.net, x)).flatten(1)
        x = x / (torch.norm(x, dim=1, keepdim=True) + 1e-10)
        return x.float().cpu().numpy()


def load_frame_embedder(source: BackboneSource, device: torch.device, weights_path: Path | None = None) -> FrameEmbedder:
    """The ImageNet GoogLeNet from torchvision's cache, a local copy of it, or random weights.

    Raises BackboneWeightsUnavailable (from models.backbone) when the ImageNet file is missing,
    FileNotFoundError / CheckpointMismatch for a weights file that is missing or does not fit.
    """
    if source is BackboneSource.RANDOM:
        return FrameEmbedder(seeded_random_googlenet(0), device, BackboneOrigin.RANDOM)
    if source is BackboneSource.FILE:
        if weights_path is None or not Path(weights_path).is_file():
            raise FileNotFoundError(f"backbone weights file not found: {weights_path}")
        state = read_state_dict(weights_path, "GoogLeNet weights")
        net = googlenet(weights=None, aux_logits=False, init_weights=False)
        state = {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2."))}
        try:
            missing, unexpected = net.load_state_dict(state, strict=False)
        except RuntimeError as error:  # shape mismatches
            raise CheckpointMismatch(f"{weights_path} does not fit torchvision's GoogLeNet: {error}") from error
        if missing or unexpected:
            raise CheckpointMismatch(f"{weights_path} is not a torchvision GoogLeNet state_dict (missing {missing[:5]}, unexpected {unexpected[:5]})")
        return FrameEmbedder(net, device, BackboneOrigin.FILE, Path(weights_path))
    return FrameEmbedder(build_googlenet(BackboneInit.IMAGENET), device, imagenet_file_origin())
