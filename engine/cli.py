"""Command-line pieces shared by the scripts (train.py, inference.py and the video launchers).

Standard library and config.py only: ``--help`` and argument errors answer before torch, numpy or
h5py are imported (tests/engine/test_cli.py holds that).
"""

from __future__ import annotations

import argparse
import enum
import logging
import math
from collections.abc import Callable
from pathlib import Path

from config import DATASETS, DEFAULT_DATA_DIR, DEFAULT_VIDEOXUM_FEATURES, DEFAULT_WEIGHTS_DIR, SPLIT_SETS, VIDEOXUM, F1Reduction
from utils.cluster import MAX_RAY_WORKERS

CUSTOM = "custom"  # --dataset value: a data set built by build_dataset.py (--h5 PATH)

SEED_MAX = 2**32 - 1
DEFAULT_WORKERS = 2  # DataLoader workers streaming VideoXum's feature files (engine/videoxum_data.py)  # numpy's seeds are unsigned 32-bit


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for integers in [low, high], so a bad value is a usage error at parse time.

    argparse prints the message after the flag: "argument --seed: expected a whole number from 0 to
    4294967295, got '-1'".
    """
    bounds = f"of at least {low}" if high is None else f"from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected a whole number {bounds}, got {text!r}")
        return value

    return parse


def add_worker_pool_arguments(parser: argparse.ArgumentParser, *, section: str, work: str, held: str, same: str) -> None:
    """--ray, --ray-address and --ray-workers of a launcher that hands videos to Ray workers (utils.cluster.run_on_ray).

    Args:
        section: where the work lives, for the group's title ("summarize/library.py").
        work: the verb, as in "<work> the videos on Ray workers" ("summarise").
        held: what each worker loads once ("the networks").
        same: what equals a run without Ray ("outputs").
    """
    group = parser.add_argument_group(f"many videos at once with Ray ({section})")
    group.add_argument("--ray", action="store_true",
                       help=f"{work} the videos on Ray workers, each holding {held} once: a local Ray started in this process "
                       f"(this machine's cores and GPUs), or the cluster named by RAY_ADDRESS when it is set; the same {same} as without")
    group.add_argument("--ray-address", metavar="ADDRESS",
                       help=f"{work} on the running Ray cluster at ADDRESS (auto, HOST:6379 or ray://HOST:10001; every node must "
                       "see the videos at the same paths); implies --ray")
    group.add_argument("--ray-workers", type=whole_number(1, MAX_RAY_WORKERS),
                       help=f"Ray workers, each holding {held} (default: one per GPU when the cluster has GPUs and --device is not cpu; "
                       f"else one per N CPUs, N being torch's thread count here, which each worker uses so that its {same} are "
                       "those of the run without --ray)")


def check_worker_pool_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A usage error for --ray-workers without Ray to give them to."""
    if args.ray_workers is not None and not (args.ray or args.ray_address):
        parser.error("--ray-workers needs --ray or --ray-address")


def number_in(low: float, high: float | None = None, open_ends: bool = False, none_is: float | None = None) -> Callable[[str], float]:
    """An argparse ``type`` for finite numbers from ``low`` (to ``high``), ends excluded when ``open_ends``;
    with ``none_is``, the word none stands for that value (a switch that turns something off)."""
    if high is not None:
        bound = f"between {low:g} and {high:g}" + (" (exclusive)" if open_ends else "")
    else:
        bound = f"above {low:g}" if open_ends else f"of at least {low:g}"

    def parse(text: str) -> float:
        if none_is is not None and text.strip().lower() == "none":
            return none_is
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        outside = value < low or (high is not None and value > high) or (open_ends and value in (low, high))
        if not math.isfinite(value) or outside:
            raise argparse.ArgumentTypeError(f"expected a number {bound}" + (" or none" if none_is is not None else "") + f", got {text!r}")
        return value

    return parse


SEED = whole_number(0, SEED_MAX)
POSITIVE = whole_number(1)


def add_common_arguments(parser: argparse.ArgumentParser, custom: bool = False) -> None:
    """The data, splits, device and weights flags; ``custom``: also --dataset custom with --h5 and --f1 (train.py, inference.py)."""
    parser.add_argument("--dataset", choices=[*DATASETS, "all", VIDEOXUM, *([CUSTOM] if custom else [])], default="all",
                        help=f"dataset(s) to use (default: all, i.e. {' and '.join(DATASETS)}; {VIDEOXUM}: its own train/val/test "
                        "split, read from --data-dir's anno/ and feat/"
                        + ("; custom: a file build_dataset.py wrote, given with --h5)" if custom else ")"))
    parser.add_argument("--split", type=POSITIVE, nargs="+", metavar="K",
                        help="split number(s), from 1 (default: every split)")
    parser.add_argument("--device", help="torch device, e.g. cpu or cuda:0 (default: CUDA when available, else CPU)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"folder with the eccv16 h5 files and ydata-anno.tsv; with --dataset {VIDEOXUM}, the folder holding "
                        f"anno/ and feat/ (default: {DEFAULT_DATA_DIR})")
    parser.add_argument("--features", metavar="NAME",
                        help=f"with --dataset {VIDEOXUM}: the feature set, <data-dir>/feat/NAME/<video_id>.npz "
                        f"(default: {DEFAULT_VIDEOXUM_FEATURES})")
    parser.add_argument("--workers", type=whole_number(0), metavar="N",
                        help=f"with --dataset {VIDEOXUM}: DataLoader worker processes that read the feature files "
                        f"(default: {DEFAULT_WORKERS}; 0 reads them in the main process)")
    parser.add_argument("--weights-dir", type=Path, default=DEFAULT_WEIGHTS_DIR, help=f"folder of <dataset>/split<k>.pt files (default: {DEFAULT_WEIGHTS_DIR})")
    splits = parser.add_mutually_exclusive_group()
    splits.add_argument(
        "--splits", choices=list(SPLIT_SETS), default="csta",
        help="a set of splits by name: csta (default: CSTA's five, every video tested once), pgl-sum or ca-sum (the five random "
        "80/20 splits both of those repositories ship; their split_index k is split k+1 here)",
    )
    splits.add_argument(
        "--splits-file", type=Path,
        help="another splits file: this project's JSON, PGL-SUM JSON (train_keys/test_keys) or the reference's text; "
        "needs a single --dataset (default: the --splits set in dataset/splits/)",
    )
    if custom:
        add_custom_arguments(parser)


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.dataset == VIDEOXUM:
        given = [flag for flag, value in (("--split", args.split), ("--splits-file", args.splits_file),
                                          ("--splits", args.splits if args.splits != "csta" else None)) if value is not None]
        if given:
            parser.error(f"{VIDEOXUM} has its own train/val/test split (anno/{{train,val,test}}_videoxum.json): "
                         f"leave out {', '.join(given)}")
        args.features = args.features or DEFAULT_VIDEOXUM_FEATURES
        args.workers = DEFAULT_WORKERS if args.workers is None else args.workers
    else:
        for flag, value in (("--features", args.features), ("--workers", args.workers)):
            if value is not None:
                parser.error(f"{flag} reads {VIDEOXUM}'s feature files: it needs --dataset {VIDEOXUM}")
    if args.splits_file is not None and args.dataset == "all":
        parser.error("--splits-file describes one dataset's videos: choose it with --dataset SumMe or --dataset TVSum")
    if hasattr(args, "h5"):
        check_custom_arguments(parser, args)


def add_custom_arguments(parser: argparse.ArgumentParser) -> None:
    """--h5 and --f1: a data set built from one's own videos (--dataset custom)."""
    custom = parser.add_argument_group("own data (--dataset custom)")
    custom.add_argument("--h5", type=Path, metavar="PATH",
                        help="with --dataset custom: the h5 file build_dataset.py wrote (with --labels); its stem names the weights "
                        "folder (<weights-dir>/<stem>/split<k>.pt). Splits: --splits-file, else five random folds from the seed, "
                        "written by train.py to <weights-dir>/<stem>/splits_seed<S>.json and reused from there")
    custom.add_argument("--f1", choices=[reduction.value for reduction in F1Reduction],
                        help="with --dataset custom: F1 over annotators (default: max for segment labels as on SumMe, "
                        "mean for score labels as on TVSum)")


def check_custom_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--h5 is required with --dataset custom and refused otherwise; --f1 only with it."""
    if args.dataset == CUSTOM and args.h5 is None:
        parser.error("--dataset custom reads a file build_dataset.py wrote: give it with --h5 PATH")
    if args.dataset != CUSTOM and args.h5 is not None:
        parser.error(f"--h5 names a data set built by build_dataset.py: use it with --dataset custom, not --dataset {args.dataset}")
    if args.dataset == CUSTOM and args.splits != "csta":
        parser.error(f"--splits {args.splits} names splits of SumMe and TVSum; a built data set takes --splits-file FILE, "
                     "or five random folds from the seed")
    if args.dataset != CUSTOM and args.f1 is not None:
        parser.error("--f1 chooses the F1 convention of a built data set: use it with --dataset custom "
                     "(SumMe and TVSum keep their own protocols)")


class ResumePolicy(enum.Enum):
    """What a training run does with the checkpoint or finished weights a previous run left (engine/resume.py)."""

    AUTO = "auto"  # continue a matching checkpoint, skip a finished run, else train from the start
    RESUME = "resume"  # as AUTO, but a run with nothing to continue is refused instead of started
    RESTART = "restart"  # discard the checkpoint and train from the start, even a finished run
    # train a finished run again but go on from a checkpoint: --restart in a Ray task, once the command has
    # discarded the old checkpoints (a retried task must keep those its first attempt wrote)
    RETRAIN = "retrain"


def add_resume_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--resume", dest="resume", action="store_const", const=ResumePolicy.RESUME, default=ResumePolicy.AUTO,
        help="only continue runs: refuse a run that has neither a checkpoint (<weights>/<dataset>/split<k>.run/) nor "
        "finished weights of this command. Without it a run resumes a matching checkpoint, skips finished weights, "
        "and starts otherwise",
    )
    group.add_argument(
        "--restart", dest="resume", action="store_const", const=ResumePolicy.RESTART,
        help="discard every run checkpoint (one of another command included) and train from the first epoch, even runs "
        "whose weights are finished",
    )


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
