"""torchvision's GoogLeNet as CSTA's attention CNN, and where its ImageNet weights come from.

CSTA runs the GoogLeNet trunk (conv1 ... inception5b) on the stacked frame features as if they
were an image. The trunk starts from torchvision's ImageNet weights for training; inference on a
full CSTA checkpoint overwrites every trunk tensor, so it needs no ImageNet file at all.
"""

from __future__ import annotations

import enum
from pathlib import Path
from urllib.parse import urlparse

import torch
import torch.nn.functional as F
from torchvision.models import GoogLeNet, GoogLeNet_Weights, googlenet

from utils.errors import ProjectError

IMAGENET_WEIGHTS = GoogLeNet_Weights.IMAGENET1K_V1

# The trunk's layers in order; the average pool, dropout and classifier are not part of it.
TRUNK_LAYERS = (
    "conv1", "maxpool1", "conv2", "conv3", "maxpool2",
    "inception3a", "inception3b", "maxpool3",
    "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4",
    "inception5a", "inception5b",
)  # fmt: skip

# The ceil-mode max pools need at least this many rows; fewer rows are edge-padded (see run_trunk).
MIN_TRUNK_ROWS = 15

# A file beside a stand-in ImageNet checkpoint that marks it as not the real one.
STAND_IN_MARKER_SUFFIX = ".standin"


class BackboneInit(enum.Enum):
    """How the GoogLeNet trunk is initialised before training."""

    IMAGENET = "imagenet"  # the paper's choice
    RANDOM = "random"  # only when asked for (--random-init), or before loading a full checkpoint


class BackboneOrigin(enum.Enum):
    """Where a GoogLeNet's weights came from: decided once, then carried as a value into every
    record, table and picture (never recovered by searching a description)."""

    IMAGENET = "imagenet"  # torchvision's real ImageNet file (IMAGENET1K_V1)
    STAND_IN = "stand-in"  # the random file models.stand_in writes under the ImageNet file's name
    RANDOM = "random"  # random weights on purpose (a random-init trunk, or random frame features)
    FILE = "file"  # a local copy of the ImageNet file, given by path

    @property
    def description(self) -> str:
        return _ORIGIN_DESCRIPTIONS[self]

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
    BackboneOrigin.IMAGENET: "torchvision ImageNet GoogLeNet (IMAGENET1K_V1)",
    BackboneOrigin.STAND_IN: "STAND-IN ImageNet file (random weights written for offline tests/demo; not real ImageNet)",
    BackboneOrigin.RANDOM: "random weights (not ImageNet)",
    BackboneOrigin.FILE: "a local copy of torchvision's ImageNet GoogLeNet file",
}
_LEGACY_DESCRIPTIONS = {
    "torchvision ImageNet GoogLeNet (IMAGENET1K_V1)": BackboneOrigin.IMAGENET,
    "STAND-IN ImageNet file (random weights written for offline tests/demo; not real ImageNet)": BackboneOrigin.STAND_IN,
    "random init (--random-init)": BackboneOrigin.RANDOM,
}


class BackboneWeightsUnavailable(ProjectError):
    """torchvision's ImageNet GoogLeNet weights are neither cached nor downloadable."""


def imagenet_weights_path() -> Path:
    """Where torchvision looks for the ImageNet GoogLeNet file (inside the torch hub cache)."""
    file_name = Path(urlparse(IMAGENET_WEIGHTS.url).path).name
    return Path(torch.hub.get_dir()) / "checkpoints" / file_name


def imagenet_weights_are_stand_in() -> bool:
    """True when the cached ImageNet file was written by models.stand_in."""
    path = imagenet_weights_path()
    return path.with_name(path.name + STAND_IN_MARKER_SUFFIX).exists()


def imagenet_file_origin() -> BackboneOrigin:
    """What the cached ImageNet file really is: the real one or the offline stand-in."""
    return BackboneOrigin.STAND_IN if imagenet_weights_are_stand_in() else BackboneOrigin.IMAGENET


def trunk_origin(init: BackboneInit) -> BackboneOrigin:
    """Where build_googlenet(init)'s weights come from."""
    return imagenet_file_origin() if init is BackboneInit.IMAGENET else BackboneOrigin.RANDOM


def build_googlenet(init: BackboneInit) -> GoogLeNet:
    """torchvision's GoogLeNet without auxiliary classifiers, initialised as asked."""
    if init is BackboneInit.RANDOM:
        return googlenet(weights=None, aux_logits=False, init_weights=True)
    path = imagenet_weights_path()
    try:
        # Loads the cached file, or downloads it when the machine is online.
        return googlenet(weights=IMAGENET_WEIGHTS)
    except Exception as error:  # noqa: BLE001 - any failure here means "weights unavailable"
        raise BackboneWeightsUnavailable(
            f"torchvision's ImageNet GoogLeNet weights are not available ({type(error).__name__}: {error}).\n"
            f"Download {IMAGENET_WEIGHTS.url} and put it at {path} "
            "(or set TORCH_HOME to a folder whose hub/checkpoints/ holds it)."
        ) from error


def seeded_random_googlenet(seed: int = 0, aux_logits: bool = False) -> GoogLeNet:
    """A GoogLeNet with PyTorch's default initialisation drawn from ``seed``, without touching the
    global random state: the offline stand-in file and random frame features.

    PyTorch's default init keeps random features informative; torchvision's own 0.01-std init
    (BackboneInit.RANDOM) makes every frame's pooled feature almost zero.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return googlenet(weights=None, aux_logits=aux_logits, init_weights=False)


def trunk_feature_map(net: GoogLeNet, x: torch.Tensor) -> torch.Tensor:
    """conv1 ... inception5b on a batch Sized [N, 3, H, W]; returns the map Sized [N, 1024, h, w]."""
    for name in TRUNK_LAYERS:
        x = getattr(net, name)(x)
    return x


def run_trunk(net: GoogLeNet, image: torch.Tensor) -> torch.Tensor:
    """The trunk's feature map, pooled to one 1024-d vector per input row.

    Args:
        net: torchvision GoogLeNet.
        image: Sized [1, 3, R, W].

    Returns:
        Sized [R, 1024]: adaptive average pooling of the [1024, r, w] map to (R, 1).
    """
    rows = image.shape[2]
    if rows < MIN_TRUNK_ROWS:
        # The reference cannot run on fewer rows (its max pools produce empty maps); repeating
        # the last row lets very short videos through without touching any longer input.
        image = F.pad(image, (0, 0, 0, MIN_TRUNK_ROWS - rows), mode="replicate")
    x = F.adaptive_avg_pool2d(trunk_feature_map(net, image), (rows, 1))  # [1, 1024, R, 1]
    return x[0, :, :, 0].transpose(0, 1)

