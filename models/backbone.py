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


class BackboneWeightsUnavailable(RuntimeError):
    """torchvision's ImageNet GoogLeNet weights are neither cached nor downloadable."""


def imagenet_weights_path() -> Path:
    """Where torchvision looks for the ImageNet GoogLeNet file (inside the torch hub cache)."""
    file_name = Path(urlparse(IMAGENET_WEIGHTS.url).path).name
    return Path(torch.hub.get_dir()) / "checkpoints" / file_name


def imagenet_weights_are_stand_in() -> bool:
    """True when the cached ImageNet file was written by write_stand_in_imagenet_weights."""
    path = imagenet_weights_path()
    return path.with_name(path.name + STAND_IN_MARKER_SUFFIX).exists()


def build_googlenet(init: BackboneInit, alternative: str = "train from a randomly initialised trunk with --random-init") -> GoogLeNet:
    """torchvision's GoogLeNet without auxiliary classifiers, initialised as asked.

    ``alternative`` ends the message when the ImageNet file is missing: what the caller's user can do instead.
    """
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
            f"(or set TORCH_HOME to a folder whose hub/checkpoints/ holds it), or {alternative}."
        ) from error


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
    x = image
    for name in TRUNK_LAYERS:
        x = getattr(net, name)(x)
    x = F.adaptive_avg_pool2d(x, (rows, 1))  # [1, 1024, R, 1]
    return x[0, :, :, 0].transpose(0, 1)

