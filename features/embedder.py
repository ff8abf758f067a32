"""GoogLeNet pool5 features of video frames, as the eccv16 features and the reference pipeline make them
(and, for feature extraction, the pooled trunk of the other torchvision backbones CSTA knows).

Per frame: Resize 256, CenterCrop 224, ImageNet mean/std (torchvision's IMAGENET1K_V1 transforms,
on a PIL image as the reference does), the GoogLeNet trunk and its global average pool (no
dropout, no classifier), then L2 normalisation. Frames go through the network in batches: in
channels-last (fast, equal to the reference's features up to float rounding), or, for the reference
route, with one-frame kernels (features.exact_trunk: bit-identical to the reference's one-frame calls).
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision.models import googlenet

from config import Backbone
from features.crop import CropGeometry
from features.exact_trunk import ExactBatchedTrunk, intra_op_threads
from features.preprocess import TablePreprocess
from features.workers import map_in_workers
from models.backbone import (
    GOOGLENET,
    BackboneInit,
    BackboneOrigin,
    backbone_spec,
    build_backbone,
    imagenet_file_origin,
    seeded_random_backbone,
    spec_of,
    trunk_feature_map,
)
from models.checkpoint import CheckpointMismatch, read_state_dict
from utils.memory import reuse_large_blocks

log = logging.getLogger(__name__)
Item = TypeVar("Item")

# Single-threaded workers for the exact route, at most this many (each holds a batch's activations, ~100 MB for 8 frames).
MAX_EXACT_WORKERS = 8


class BackboneSource(enum.Enum):
    IMAGENET = "imagenet"  # torchvision's cache (or download)
    FILE = "file"  # --backbone-weights PATH
    RANDOM = "random"  # --random-backbone: tests and demos only


class FrameEmbedder:
    """Turns RGB frames into L2-normalised features on one device: 1024-d GoogLeNet pool5 (or the
    pooled trunk of another torchvision backbone: ResNet-18 512-d, EfficientNet-B0 and MobileNet-V2
    1280-d, each with its own ImageNet preprocessing; those have no exact route)."""

    def __init__(self, net: nn.Module, device: torch.device, origin: BackboneOrigin, weights_path: Path | None = None) -> None:
        self.net = net.to(device).eval()
        if device.type == "cpu":
            reuse_large_blocks()  # a batch's largest buffers come back every batch: no page faults for them (utils/memory.py)
        self.spec = spec_of(net)
        self.device = device
        self.origin = origin  # where the weights came from, for every output
        self.weights_path = weights_path  # the file given by path (BackboneOrigin.FILE)
        self.transform = TablePreprocess(self.spec.weights.transforms())  # the preset's values, faster
        self.memory_format = torch.contiguous_format
        self.exact = False
        self.exact_trunk: ExactBatchedTrunk | None = None

    @property
    def description(self) -> str:
        """The backbone in words, for logs and the JSON record."""
        if self.origin is BackboneOrigin.FILE:
            return f"{self.spec.title} weights from {self.weights_path}"
        if self.origin is BackboneOrigin.RANDOM:
            return "RANDOM backbone: features are not ImageNet features" + ("" if self.spec is GOOGLENET else f" ({self.spec.title})")
        return self.origin.describe(self.spec)

    @property
    def width(self) -> int:
        """Size of one frame's feature."""
        return self.spec.width

    def match_reference_exactly(self, exact: bool) -> None:
        """exact: features bit-identical to the reference's one-frame calls, in batches of any size
        (on CPU: features.exact_trunk; elsewhere one frame per call); otherwise channels-last,
        faster still on CPU, equal up to float rounding (~1e-8)."""
        if exact and self.spec is not GOOGLENET:
            raise ValueError(f"the exact route exists for GoogLeNet only, not {self.spec.title}")
        if exact and self.exact:
            return  # already exact: keep the checked plans (one check per process, not per video)
        self.exact = exact
        self.memory_format = torch.contiguous_format if exact else torch.channels_last
        self.net = self.net.to(memory_format=self.memory_format)
        self.exact_trunk = ExactBatchedTrunk(self.net) if exact and self.device.type == "cpu" else None

    def preprocess(self, frame: np.ndarray) -> torch.Tensor:
        """RGB uint8 Sized [H, W, 3] -> normalised crop Sized [3, 224, 224] (CPU; safe in a worker thread)."""
        return self.transform(Image.fromarray(frame))

    @property
    def crop_geometry(self) -> CropGeometry | None:
        """The resize and centre crop of the backbone's preprocessing (features.crop: torch-free);
        None when ``transform`` was replaced by another (build_dataset's ``--preprocess resize``)."""
        return self.transform.geometry if isinstance(self.transform, TablePreprocess) else None

    def normalise(self, pixels: np.ndarray) -> torch.Tensor:
        """A crop made by ``crop_geometry`` (Sized [224, 224, 3], uint8) -> the network's input Sized [3, 224, 224]."""
        return self.transform.normalise(pixels)

    @torch.inference_mode()
    def embed(self, crops: Sequence[torch.Tensor]) -> np.ndarray:
        """Features of preprocessed frames. Returns Sized [len(crops), width], float32."""
        if self.exact:
            return self._embed_exactly(crops)
        x = torch.stack(list(crops)).to(self.device).contiguous(memory_format=self.memory_format)
        x = self._pool(trunk_feature_map(self.net, x)).flatten(1)
        x = x / (torch.norm(x, dim=1, keepdim=True) + 1e-10)
        return x.float().cpu().numpy()

    def embed_batches(self, batches: Iterable[Sequence[torch.Tensor]]) -> Iterator[np.ndarray]:
        """``embed`` of each batch, in order. The exact route on CPU computes batches side by side in
        single-threaded workers, one per intra-op thread PyTorch would use (features.workers).

        There every batch is run at the first batch's size (a shorter last one is padded, the padding's
        features dropped). The first time a size is seen in this process, before any worker starts,
        the first batch's frames go through the network one at a time here, as the reference calls
        them (which sets PyTorch's process-wide thread count); the workers then run every batch with
        the kernels PyTorch chose for those one-frame calls, and the first batch's features must equal
        the one-frame ones bit for bit. If they do not, the workers are stopped, the exact trunk checks
        each layer on the first batch instead (features.exact_trunk), and the batches the workers had
        been given are computed again. If some layer can only run one frame at a time, all batches
        run here, at the default thread count.
        """
        if self.exact_trunk is None:
            for crops in batches:
                yield self.embed(crops)
            return
        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return
        size = len(first)

        def embed_at_size(crops: Sequence[torch.Tensor]) -> np.ndarray:
            if len(crops) > size:
                raise ValueError(f"exact embedding: a batch of {len(crops)} frames after a first batch of {size}; later batches may only be smaller")
            padding = [crops[-1]] * (size - len(crops))
            return self.embed([*crops, *padding])[:len(crops)]

        trunk = self.exact_trunk
        workers = min(trunk.reference_threads, MAX_EXACT_WORKERS)
        if not trunk.has_plan(size, 1):
            expected = trunk.one_frame_features(torch.stack(list(first))).numpy()
            if trunk.assume_plan(size, 1):
                given_out: deque[Sequence[torch.Tensor]] = deque()  # batches in the workers' hands, in order
                results = map_in_workers(embed_at_size, _noting(itertools.chain([first], batches), given_out), workers)
                confirmed = False
                try:
                    confirmed = np.array_equal(next(results), expected)
                    if confirmed:
                        given_out.popleft()
                        yield expected
                        for features in results:
                            given_out.popleft()
                            yield features
                        return
                finally:
                    results.close()
                    if not confirmed:  # a mismatch, or an error or Ctrl-C before the check: no unchecked plan stays
                        trunk.forget_plan(size, 1)
                log.debug("exact route: the kernels PyTorch chose for one frame differ in a batch here; checking every layer")
                first, batches = given_out.popleft(), itertools.chain(given_out, batches)
        with intra_op_threads(1):  # the workers' thread count: the check must be made at it
            features = embed_at_size(first)
        yield features
        if trunk.fully_batched(size, 1):
            yield from map_in_workers(embed_at_size, batches, workers)
        else:  # a layer matched only one frame at a time, at the reference's thread count: no workers
            for crops in batches:
                yield embed_at_size(crops)

    def _pool(self, feature_map: torch.Tensor) -> torch.Tensor:
        """The network's own global average pool (GoogLeNet's pool5); MobileNet-V2 pools in its forward, without a module."""
        pool = getattr(self.net, "avgpool", None)
        return pool(feature_map) if pool is not None else F.adaptive_avg_pool2d(feature_map, 1)

    def _embed_exactly(self, crops: Sequence[torch.Tensor]) -> np.ndarray:
        """The reference's arithmetic: each frame's pooled trunk output (Sized [1024]) over its norm + 1e-10."""
        if self.exact_trunk is not None:
            return self.exact_trunk(torch.stack(list(crops))).numpy()
        return torch.stack([self._embed_one_frame(crop) for crop in crops]).float().cpu().numpy()

    def _embed_one_frame(self, crop: torch.Tensor) -> torch.Tensor:
        """One frame alone through the network, as the reference calls it (other devices than the CPU). Sized [1024]."""
        pooled = self.net.avgpool(trunk_feature_map(self.net, crop.unsqueeze(0).to(self.device))).squeeze()
        return pooled / (torch.norm(pooled) + 1e-10)


def _noting(items: Iterable[Item], noted: deque[Item]) -> Iterator[Item]:
    """``items``, each appended to ``noted`` as it is handed on."""
    for item in items:
        noted.append(item)
        yield item


def load_frame_embedder(source: BackboneSource, device: torch.device, weights_path: Path | None = None,
                        backbone: Backbone = Backbone.GOOGLENET) -> FrameEmbedder:
    """The ImageNet network (GoogLeNet unless ``backbone`` says otherwise) from torchvision's cache,
    a local copy of it, or random weights.

    Raises BackboneWeightsUnavailable (from models.backbone) when the ImageNet file is missing,
    FileNotFoundError / CheckpointMismatch for a weights file that is missing or does not fit.
    """
    spec = backbone_spec(backbone)
    if source is BackboneSource.RANDOM:
        return FrameEmbedder(seeded_random_backbone(spec, 0), device, BackboneOrigin.RANDOM)
    if source is BackboneSource.FILE:
        if weights_path is None or not Path(weights_path).is_file():
            raise FileNotFoundError(f"backbone weights file not found: {weights_path}")
        state = read_state_dict(weights_path, f"{spec.title} weights")
        if spec is GOOGLENET:
            net = googlenet(weights=None, aux_logits=False, init_weights=False)
            state = {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2."))}
        else:
            net = spec.builder(weights=None)
        try:
            missing, unexpected = net.load_state_dict(state, strict=False)
        except RuntimeError as error:  # shape mismatches
            raise CheckpointMismatch(f"{weights_path} does not fit torchvision's {spec.title}: {error}") from error
        if missing or unexpected:
            raise CheckpointMismatch(f"{weights_path} is not a torchvision {spec.title} state_dict (missing {missing[:5]}, unexpected {unexpected[:5]})")
        return FrameEmbedder(net, device, BackboneOrigin.FILE, Path(weights_path))
    return FrameEmbedder(build_backbone(spec, BackboneInit.IMAGENET), device, imagenet_file_origin(spec))
