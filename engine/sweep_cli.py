"""The command-line flags that run a command's many runs as Ray tasks (train.py --ray; engine/sweep.py).

Standard library only, like engine/cli.py: ``--help`` and argument errors answer before torch or Ray
is imported.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def resource_share(allow_zero: bool) -> Callable[[str], float]:
    """An argparse ``type`` for a Ray resource request: a share of one device (0.25) or whole devices (2).

    Ray refuses fractions above one (1.5 GPUs), so they are a usage error here, at parse time.
    """
    low = "0" if allow_zero else "more than 0"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero) or (value > 1 and not value.is_integer()):
            raise argparse.ArgumentTypeError(f"expected a share of one device ({low} to 1, e.g. 0.25) or a whole number, got {text!r}")
        return value

    parse.__name__ = "share"  # argparse names the type by it in its own messages
    return parse


def add_ray_arguments(parser: argparse.ArgumentParser) -> None:
    """--ray, --ray-address, --cpus-per-run, --gpus-per-run."""
    group = parser.add_argument_group("many runs at once with Ray (several seeds, splits or datasets)")
    group.add_argument("--ray", action="store_true",
                       help="run the runs as Ray tasks: on a local Ray started in this process with this machine's cores and GPUs, "
                       "or on the cluster named by RAY_ADDRESS when it is set; the files written are the same as without --ray")
    group.add_argument("--ray-address", metavar="ADDRESS",
                       help="run the runs on the running Ray cluster at ADDRESS (auto, HOST:6379 or ray://HOST:10001; "
                       "see `ray start --head`); implies --ray")
    group.add_argument("--cpus-per-run", type=resource_share(allow_zero=False),
                       help="CPUs Ray reserves for each run, also its torch threads (default 1)")
    group.add_argument("--gpus-per-run", type=resource_share(allow_zero=True),
                       help="GPUs Ray reserves for each run; a share packs several runs on one GPU (0.25: four) "
                       "(default: 1 when the cluster has GPUs and --device is not cpu, else 0)")


def ray_requested(args: argparse.Namespace) -> bool:
    return bool(args.ray or args.ray_address)


def check_ray_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The resource flags mean something only with Ray: said at once rather than ignored."""
    given = [flag for flag in ("--cpus-per-run", "--gpus-per-run") if getattr(args, flag[2:].replace("-", "_")) is not None]
    if given and not ray_requested(args):
        parser.error(f"{given[0]} needs --ray or --ray-address")
