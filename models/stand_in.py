"""A stand-in for torchvision's ImageNet GoogLeNet file, so that the real loading path runs offline.

For tests and the demo only. The file is written where torchvision looks for the real one (the
torch hub cache of the current TORCH_HOME) together with a marker file, and everything trained
from it says that its backbone is a stand-in. Never point TORCH_HOME at such a folder for real work.

    TORCH_HOME=/tmp/th python -m models.stand_in
"""

from __future__ import annotations

import argparse

import torch

from models.backbone import STAND_IN_MARKER_SUFFIX, imagenet_weights_path, seeded_random_googlenet
from models.bn_calibration import calibrate_batch_norm, coloured_pictures

# Pictures its BatchNorm statistics are measured on (models/bn_calibration.py)
STAND_IN_PICTURES = 64


def write_stand_in_imagenet_weights(seed: int = 0) -> str:
    """Write a randomly initialised GoogLeNet under torchvision's ImageNet file name, and mark it."""
    path = imagenet_weights_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    net = seeded_random_googlenet(seed, aux_logits=True)  # the real file has the aux heads too
    calibrate_batch_norm(net, coloured_pictures(STAND_IN_PICTURES, seed))  # so that its features separate scenes
    torch.save(net.state_dict(), path)
    path.with_name(path.name + STAND_IN_MARKER_SUFFIX).write_text(
        "The GoogLeNet file beside this one is a random STAND-IN for torchvision's ImageNet weights, "
        "written for offline tests and demos. Results made with it are not meaningful.\n"
    )
    return str(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    args = parser.parse_args(argv)
    print(f"wrote STAND-IN ImageNet GoogLeNet weights (random, not ImageNet): {write_stand_in_imagenet_weights(args.seed)}")


if __name__ == "__main__":
    main()
