"""Stand-ins for torchvision's ImageNet files, so that the real loading path runs offline.

For tests and the demo only. Each file is written where torchvision looks for the real one (the
torch hub cache of the current TORCH_HOME) together with a marker file, and everything trained
from it says that its backbone is a stand-in. Never point TORCH_HOME at such a folder for real work.

Written by ``python -m cli.stand_in`` (the command line) or write_stand_in_imagenet_weights.
"""

from __future__ import annotations

import torch

from config import Backbone
from models.backbone import (
    GOOGLENET,
    STAND_IN_MARKER_SUFFIX,
    BackboneSpec,
    imagenet_weights_path,
    seeded_random_backbone,
)
from models.bn_calibration import calibrate_batch_norm, coloured_pictures

# Pictures the BatchNorm statistics are measured on (models/bn_calibration.py)
STAND_IN_PICTURES = 64


def write_stand_in_imagenet_weights(seed: int = 0, spec: BackboneSpec = GOOGLENET) -> str:
    """Write a randomly initialised network under torchvision's ImageNet file name for ``spec``, and mark it."""
    path = imagenet_weights_path(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the real GoogLeNet file has the auxiliary classifiers too
    extra = {"aux_logits": True} if spec.backbone is Backbone.GOOGLENET else {}
    net = seeded_random_backbone(spec, seed, **extra)
    calibrate_batch_norm(net, coloured_pictures(STAND_IN_PICTURES, seed))  # so that its features separate scenes
    torch.save(net.state_dict(), path)
    path.with_name(path.name + STAND_IN_MARKER_SUFFIX).write_text(
        f"The {spec.title} file beside this one is a random STAND-IN for torchvision's ImageNet weights, "
        "written for offline tests and demos. Results made with it are not meaningful.\n"
    )
    return str(path)
