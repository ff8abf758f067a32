"""The Ray flags, each defined once: --ray and --ray-address, with --cpus-per-run/--gpus-per-run for a
command whose runs are Ray tasks (train.py, ablate.py; engine/scale/ray_sweep.py), or --ray-workers for a launcher
that hands videos to Ray workers (generate_video.py, build_dataset.py, cli/extract_features.py;
utils.cluster.run_on_ray).

Standard library and utils/cluster.py's constants only, like cli/options.py: ``--help`` and argument
errors answer before torch or Ray is imported.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from cli.options import whole_number
from utils.cluster import MAX_RAY_WORKERS, RAY_CONNECT_SECONDS

NEEDS_RAY = "{flag} needs --ray or --ray-address"  # a Ray-only flag given without Ray


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


def _add_ray_switches(group: argparse._ArgumentGroup, *, work: str, on_ray: str, same: str, note: str) -> None:
    """--ray and --ray-address, the same two flags for runs and for videos; the words say what goes to Ray.

    Args:
        work: the verb ("run the runs", "summarise").
        on_ray: what --ray does ("run the runs as Ray tasks", "summarise the videos on Ray workers, each holding ...").
        same: what equals a run without Ray ("the files written", "the outputs").
        note: what the cluster needs, in --ray-address's parentheses.
    """
    group.add_argument("--ray", action="store_true",
                       help=f"{on_ray}: a local Ray started in this process (this machine's cores and GPUs), or the "
                       f"cluster named by RAY_ADDRESS when it is set; {same} are the same as without --ray")
    group.add_argument("--ray-address", metavar="ADDRESS",
                       help=f"{work} on the running Ray cluster at ADDRESS (auto, HOST:6379 or ray://HOST:10001; {note}); implies --ray; "
                       f"the command gives up (exit status 2) when nothing answers there within {RAY_CONNECT_SECONDS:g} s")


def add_ray_arguments(parser: argparse.ArgumentParser) -> None:
    """--ray, --ray-address, --cpus-per-run, --gpus-per-run: each run of the command a Ray task (engine/scale/ray_sweep.py)."""
    group = parser.add_argument_group("many runs at once with Ray (several seeds, splits or datasets)")
    _add_ray_switches(group, work="run the runs", on_ray="run the runs as Ray tasks", same="the files written", note="see `ray start --head`")
    group.add_argument("--cpus-per-run", type=resource_share(allow_zero=False),
                       help="CPUs Ray reserves for each run, also its torch threads (default 1)")
    group.add_argument("--gpus-per-run", type=resource_share(allow_zero=True),
                       help="GPUs Ray reserves for each run; a share packs several runs on one GPU (0.25: four) "
                       "(default: 1 when the cluster has GPUs and --device is not cpu, else 0)")


def add_worker_pool_arguments(parser: argparse.ArgumentParser, *, section: str, work: str, held: str, same: str) -> None:
    """--ray, --ray-address and --ray-workers of a launcher that hands videos to Ray workers (utils.cluster.run_on_ray).

    Args:
        section: where the work lives, for the group's title ("summarize/library.py").
        work: the verb, as in "<work> the videos on Ray workers" ("summarise").
        held: what each worker loads once ("the networks").
        same: what equals a run without Ray ("outputs").
    """
    group = parser.add_argument_group(f"many videos at once with Ray ({section})")
    _add_ray_switches(group, work=work, on_ray=f"{work} the videos on Ray workers, each holding {held} once", same=f"the {same}",
                      note="every node must see the videos at the same paths")
    group.add_argument("--ray-workers", type=whole_number(1, MAX_RAY_WORKERS),
                       help=f"Ray workers, each holding {held} (default: one per GPU when the cluster has GPUs and --device is not cpu; "
                       f"else one per N CPUs, N being torch's thread count here, which each worker uses so that its {same} are "
                       "those of the run without --ray)")


def ray_requested(args: argparse.Namespace) -> bool:
    return bool(args.ray or args.ray_address)


def refuse_without_ray(parser: argparse.ArgumentParser, args: argparse.Namespace, *flags: str) -> None:
    """A usage error for the first of ``flags`` given without --ray or --ray-address: said at once rather than ignored."""
    given = [flag for flag in flags if getattr(args, flag[2:].replace("-", "_")) is not None]
    if given and not ray_requested(args):
        parser.error(NEEDS_RAY.format(flag=given[0]))


def check_ray_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The resource flags mean something only with Ray."""
    refuse_without_ray(parser, args, "--cpus-per-run", "--gpus-per-run")


def check_worker_pool_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--ray-workers means something only with Ray."""
    refuse_without_ray(parser, args, "--ray-workers")
