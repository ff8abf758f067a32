"""The CNN that computes CSTA's attention (torchvision's GoogLeNet, ResNet-18, EfficientNet-B0 or
MobileNet-V2), and where its ImageNet weights come from.

CSTA runs the CNN's trunk (every layer before the global pooling) on the stacked frame features as
if they were an image. The trunk starts from torchvision's ImageNet weights for training; inference
on a full CSTA checkpoint overwrites every trunk tensor, so it needs no ImageNet file at all.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import models as tv

from config import Backbone, ModelConfigError
from utils.errors import ProjectError


@dataclass(frozen=True)
class BackboneSpec:
    """What differs between the attention CNNs, decided once here."""

    backbone: Backbone
    attribute: str  # the CSTA attribute holding the CNN, hence the prefix of its state_dict keys
    title: str  # for messages and records
    builder: Callable[..., nn.Module]  # torchvision's builder
    weights: tv.WeightsEnum  # the ImageNet weights the reference starts from
    trunk_layers: tuple[str, ...]  # the layers run in order; pooling and classifier are not part of it
    random_init: dict  # the builder's extra arguments for a randomly initialised network
    min_rows: int = 1  # fewer rows are edge-padded (see run_trunk)

    @property
    def width(self) -> int:
        """Channels of the trunk's output."""
        return self.backbone.width


BACKBONES: dict[Backbone, BackboneSpec] = {
    Backbone.GOOGLENET: BackboneSpec(
        Backbone.GOOGLENET, "googlenet", "GoogLeNet", tv.googlenet, tv.GoogLeNet_Weights.IMAGENET1K_V1,
        (
            "conv1", "maxpool1", "conv2", "conv3", "maxpool2",
            "inception3a", "inception3b", "maxpool3",
            "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4",
            "inception5a", "inception5b",
        ),
        {"aux_logits": False, "init_weights": True},
        # The ceil-mode max pools need at least this many rows (the reference fails below it).
        min_rows=15,
    ),
    Backbone.RESNET: BackboneSpec(
        Backbone.RESNET, "resnet", "ResNet-18", tv.resnet18, tv.ResNet18_Weights.IMAGENET1K_V1,
        ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"), {},
    ),
    Backbone.EFFICIENTNET: BackboneSpec(
        Backbone.EFFICIENTNET, "efficientnet", "EfficientNet-B0", tv.efficientnet_b0,
        tv.EfficientNet_B0_Weights.IMAGENET1K_V1, ("features",), {},
    ),
    Backbone.MOBILENET: BackboneSpec(
        Backbone.MOBILENET, "mobilenet", "MobileNet-V2", tv.mobilenet_v2, tv.MobileNet_V2_Weights.IMAGENET1K_V1,
        ("features",), {},
    ),
}  # fmt: skip

GOOGLENET = BACKBONES[Backbone.GOOGLENET]
IMAGENET_WEIGHTS = GOOGLENET.weights  # the frame features' CNN (features/embedder.py)
TRUNK_LAYERS = GOOGLENET.trunk_layers
MIN_TRUNK_ROWS = GOOGLENET.min_rows


def backbone_spec(backbone: Backbone | str) -> BackboneSpec:
    """The spec of a backbone, by enum or by the reference's name ('ResNet', ...)."""
    if isinstance(backbone, str):
        matches = [b for b in Backbone if b.value.lower() == backbone.lower()]
        if not matches:
            raise ModelConfigError(f"unknown backbone {backbone!r}; choose one of {', '.join(b.value for b in Backbone)}")
        backbone = matches[0]
    return BACKBONES[backbone]


def spec_of(net: nn.Module) -> BackboneSpec:
    """The spec of a torchvision network, by its type."""
    for spec in BACKBONES.values():
        if type(net) is _NETWORK_TYPES[spec.backbone]:
            return spec
    raise TypeError(f"{type(net).__name__} is not one of CSTA's backbones")


_NETWORK_TYPES = {
    Backbone.GOOGLENET: tv.GoogLeNet,
    Backbone.RESNET: tv.ResNet,
    Backbone.EFFICIENTNET: tv.EfficientNet,
    Backbone.MOBILENET: tv.MobileNetV2,
}

# A file beside a stand-in ImageNet checkpoint that marks it as not the real one.
STAND_IN_MARKER_SUFFIX = ".standin"


class BackboneInit(enum.Enum):
    """How the attention CNN's trunk is initialised before training."""

    IMAGENET = "imagenet"  # the paper's choice
    RANDOM = "random"  # only when asked for (--random-init), or before loading a full checkpoint


class BackboneOrigin(enum.Enum):
    """Where a backbone's weights came from: decided once, then carried as a value into every
    record, table and picture (never recovered by searching a description)."""

    IMAGENET = "imagenet"  # torchvision's real ImageNet file (the spec's IMAGENET1K_V1)
    STAND_IN = "stand-in"  # the random file cli.stand_in (models/stand_in.py) writes under the ImageNet file's name
    RANDOM = "random"  # random weights on purpose (a random-init trunk, or random frame features)
    FILE = "file"  # a local copy of the ImageNet file, given by path

    @property
    def description(self) -> str:
        """The GoogLeNet wording (the trunk of the released model, and the frame features' CNN)."""
        return self.describe(GOOGLENET)

    def describe(self, spec: BackboneSpec) -> str:
        """Where a network of ``spec``'s kind got its weights, in words."""
        return _ORIGIN_DESCRIPTIONS[self].format(title=spec.title, weights=spec.weights.name)

    @property
    def warning(self) -> str | None:
        """What every results table must say when the backbone is not a real ImageNet network."""
        return "STAND-IN backbone, not real ImageNet weights" if self is BackboneOrigin.STAND_IN else None

    @classmethod
    def from_record(cls, record: dict | None) -> BackboneOrigin | None:
        """The origin stored in a training record; None when the record does not say (released weights)."""
        if not record:
            return None
        if "backbone_origin" in record:
            return cls(record["backbone_origin"])
        # records written before the origin was stored hold one of the fixed descriptions below
        return _LEGACY_DESCRIPTIONS.get(record.get("backbone"))


_ORIGIN_DESCRIPTIONS = {
    BackboneOrigin.IMAGENET: "torchvision ImageNet {title} ({weights})",
    BackboneOrigin.STAND_IN: "STAND-IN ImageNet file (random weights written for offline tests/demo; not real ImageNet)",
    BackboneOrigin.RANDOM: "random weights (not ImageNet)",
    BackboneOrigin.FILE: "a local copy of torchvision's ImageNet {title} file",
}
_LEGACY_DESCRIPTIONS = {
    "torchvision ImageNet GoogLeNet (IMAGENET1K_V1)": BackboneOrigin.IMAGENET,
    "STAND-IN ImageNet file (random weights written for offline tests/demo; not real ImageNet)": BackboneOrigin.STAND_IN,
    "random init (--random-init)": BackboneOrigin.RANDOM,
}


class BackboneWeightsUnavailable(ProjectError):
    """torchvision's ImageNet weights for a backbone are neither cached nor downloadable."""


def imagenet_weights_path(spec: BackboneSpec = GOOGLENET) -> Path:
    """Where torchvision looks for the backbone's ImageNet file (inside the torch hub cache)."""
    file_name = Path(urlparse(spec.weights.url).path).name
    return Path(torch.hub.get_dir()) / "checkpoints" / file_name


def imagenet_weights_are_stand_in(spec: BackboneSpec = GOOGLENET) -> bool:
    """True when the cached ImageNet file was written by models/stand_in.py (python -m cli.stand_in)."""
    path = imagenet_weights_path(spec)
    return path.with_name(path.name + STAND_IN_MARKER_SUFFIX).exists()


def imagenet_file_origin(spec: BackboneSpec = GOOGLENET) -> BackboneOrigin:
    """What the cached ImageNet file really is: the real one or the offline stand-in."""
    return BackboneOrigin.STAND_IN if imagenet_weights_are_stand_in(spec) else BackboneOrigin.IMAGENET


def trunk_origin(init: BackboneInit, spec: BackboneSpec = GOOGLENET) -> BackboneOrigin:
    """Where build_backbone(spec, init)'s weights come from."""
    return imagenet_file_origin(spec) if init is BackboneInit.IMAGENET else BackboneOrigin.RANDOM


def build_backbone(spec: BackboneSpec, init: BackboneInit) -> nn.Module:
    """torchvision's network for ``spec``, initialised as asked (GoogLeNet without auxiliary classifiers)."""
    if init is BackboneInit.RANDOM:
        return spec.builder(weights=None, **spec.random_init)
    path = imagenet_weights_path(spec)
    try:
        # Loads the cached file, or downloads it when the machine is online.
        return spec.builder(weights=spec.weights)
    except Exception as error:  # noqa: BLE001 - any failure here means "weights unavailable"
        raise BackboneWeightsUnavailable(
            f"torchvision's ImageNet {spec.title} weights are not available ({type(error).__name__}: {error}).\n"
            f"Download {spec.weights.url} and put it at {path} "
            "(or set TORCH_HOME to a folder whose hub/checkpoints/ holds it)."
        ) from error


def build_googlenet(init: BackboneInit) -> tv.GoogLeNet:
    """torchvision's GoogLeNet without auxiliary classifiers, initialised as asked."""
    return build_backbone(GOOGLENET, init)


def seeded_random_backbone(spec: BackboneSpec, seed: int = 0, **builder_args: object) -> nn.Module:
    """A network of ``spec``'s kind with random weights drawn from ``seed``, without touching the
    global random state: the offline stand-in files and random frame features.

    GoogLeNet gets PyTorch's default initialisation, which keeps random features informative
    (torchvision's own 0.01-std init, BackboneInit.RANDOM, makes every pooled feature almost zero);
    the others get torchvision's initialisation.
    """
    if spec.backbone is Backbone.GOOGLENET:
        builder_args = {"aux_logits": False, "init_weights": False, **builder_args}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return spec.builder(weights=None, **builder_args)


def seeded_random_googlenet(seed: int = 0, aux_logits: bool = False) -> tv.GoogLeNet:
    """seeded_random_backbone for GoogLeNet (with or without the auxiliary classifiers)."""
    return seeded_random_backbone(GOOGLENET, seed, aux_logits=aux_logits)


def trunk_feature_map(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The trunk's layers on a batch Sized [N, 3, H, W]; returns the map Sized [N, C, h, w] (C = the spec's width)."""
    for name in spec_of(net).trunk_layers:
        x = getattr(net, name)(x)
    return x


def run_trunk(net: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """The trunk's feature map, pooled to one vector per input row.

    Args:
        net: one of the torchvision networks in BACKBONES.
        image: Sized [1, 3, R, W].

    Returns:
        Sized [R, C]: adaptive average pooling of the [C, r, w] map to (R, 1).
    """
    rows, min_rows = image.shape[2], spec_of(net).min_rows
    if rows < min_rows:
        # The reference cannot run on fewer rows (GoogLeNet's max pools produce empty maps);
        # repeating the last row lets very short videos through without touching any longer input.
        image = F.pad(image, (0, 0, 0, min_rows - rows), mode="replicate")
    x = F.adaptive_avg_pool2d(trunk_feature_map(net, image), (rows, 1))  # [1, C, R, 1]
    return x[0, :, :, 0].transpose(0, 1)
