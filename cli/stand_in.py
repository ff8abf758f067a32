"""Write random stand-ins for torchvision's ImageNet files into $TORCH_HOME (tests and demos only).

    TORCH_HOME=/tmp/th python -m cli.stand_in                  # GoogLeNet (the demo's)
    TORCH_HOME=/tmp/th python -m cli.stand_in --backbone all   # every backbone

Everything trained or summarised from such a file says that its backbone is a stand-in (see
models/stand_in.py). Never point TORCH_HOME at such a folder for real work.
"""

from __future__ import annotations

import argparse

from cli.options import add_seed_argument, command_parser
from config import Backbone


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seed_argument(parser, default=0, help="seed of the random weights (default 0)")
    parser.add_argument(
        "--backbone", default=Backbone.GOOGLENET.value, choices=[b.value for b in Backbone] + ["all"],
        help="which backbone's file to write (default GoogleNet, the one the demo needs)",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> None:
    from models.backbone import BACKBONES  # here: torch loads after the flags are read
    from models.stand_in import write_stand_in_imagenet_weights

    chosen = list(BACKBONES.values()) if args.backbone == "all" else [BACKBONES[Backbone(args.backbone)]]
    for spec in chosen:
        path = write_stand_in_imagenet_weights(args.seed, spec)
        print(f"wrote STAND-IN ImageNet {spec.title} weights (random, not ImageNet): {path}")


def run() -> None:
    main(parse_args())


if __name__ == "__main__":
    run()
