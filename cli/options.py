"""The options the scripts share, each defined once: the data set and its splits, --device, --seed/--seeds,
--out, --overwrite and the resume pair --resume/--restart (the Ray flags: cli/ray_options.py).

Standard library, config.py, engine/train/resume_policy.py, engine/run_outputs.py and the data-source registry (sources/, as torch-free)
only: ``--help`` and argument errors answer before torch, numpy or h5py are imported
(tests/cli/test_options.py holds that). The --dataset choices and each data set's own flags come from the
registry (sources/source.SourceFlag).
"""

from __future__ import annotations

import argparse
import logging
import math
from collections.abc import Callable
from pathlib import Path

from config import DEFAULT_DATA_DIR, DEFAULT_WEIGHTS_DIR, SPLIT_SETS
from engine.run_outputs import OVERWRITE_FLAG
from engine.train.resume_policy import ResumePolicy
from evaluation.means import MeanOver  # standard library only
from sources import ALL, SOURCES, DataRequest, DataSource, SourceFlag, dataset_choices, sources_for
from utils import whole_numbers  # standard library only

SEED_MAX = 2**32 - 1  # numpy's seeds are unsigned 32-bit


def command_parser(description: str | None = None, **settings: object) -> argparse.ArgumentParser:
    """Every command's parser (the scripts' and cli/'s), with abbreviations off.

    argparse otherwise reads a prefix as the one flag it begins: ``inference.py --weights FILE`` became
    ``--weights-dir FILE`` and failed on a confusing path. A flag is now spelt whole or refused
    ("unrecognized arguments"). ``settings``: the rest of argparse.ArgumentParser's keywords.
    """
    return argparse.ArgumentParser(description=description, allow_abbrev=False, **settings)


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for integers in [low, high] (utils/whole_numbers.py), so a bad value is a usage
    error at parse time.

    argparse prints the message after the flag: "argument --seed: expected a whole number from 0 to
    4294967295, got '-1'".
    """
    parse_text = whole_numbers.whole_number(low, high)

    def parse(text: str) -> int:
        try:
            return parse_text(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    return parse


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


def add_device_argument(container: argparse._ActionsContainer) -> None:
    """--device, as every script that runs a network takes it (utils.runtime.select_device reads it; None: CUDA if any)."""
    container.add_argument("--device", help="torch device, e.g. cpu or cuda:0 (default: CUDA when available, else CPU)")


def add_seed_argument(container: argparse._ActionsContainer, help: str, default: int | None = None) -> None:
    """--seed: one seed, from 0 to 2**32-1 (numpy's range), checked at parse time; ``help`` says what it seeds here."""
    container.add_argument("--seed", type=SEED, default=default, help=help)


def add_seeds_argument(container: argparse._ActionsContainer, help: str) -> None:
    """--seeds S [S ...]: the command once per seed, each checked as --seed is."""
    container.add_argument("--seeds", type=SEED, nargs="+", metavar="S", help=help)


def add_out_argument(container: argparse._ActionsContainer, *aliases: str, help: str, required: bool = False,
                     default: Path | None = None) -> None:
    """--out: where the command writes (a file or a folder, as ``help`` says), read as ``args.out``, a Path;
    ``aliases``: older spellings users know (generate_video.py's --save_path, the reference's)."""
    container.add_argument("--out", *aliases, dest="out", type=Path, required=required, default=default, help=help)


def add_overwrite_argument(container: argparse._ActionsContainer, replaces: str, without: str = "an existing output is refused before any work",
                           more: str = "") -> None:
    """--overwrite, every writing command's one switch of the overwrite rule (engine/run_outputs.refuse_existing): an
    existing output is refused before any work unless it is given; with it, the file is replaced once its new
    version is complete. ``replaces``: the outputs it concerns here; ``without``: what happens without it, where the
    command resumes instead (generate_video.py, cli.extract_features); ``more``: what else it does in this command."""
    container.add_argument(OVERWRITE_FLAG, action="store_true",
                           help=f"replace {replaces} once its new version is complete (never an input); "
                           f"without it {without}{more}")


def add_old_spelling(container: argparse._ActionsContainer, spelling: str, dest: str, **settings: object) -> None:
    """An older spelling of a flag that keeps working (the same ``dest``) but is shown neither in --help nor in the
    usage line, so that one thing has one spelling in what a user reads (score.py's --data is --h5)."""
    container.add_argument(spelling, dest=dest, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **settings)


def add_mean_argument(container: argparse._ActionsContainer, default: MeanOver, what: str) -> None:
    """--mean splits|videos: which final mean the command prints (evaluation/means.py), read as ``args.mean``, a MeanOver."""
    def rule(text: str) -> MeanOver:
        try:
            return MeanOver(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected {' or '.join(m.value for m in MeanOver)}, got {text!r}") from error

    container.add_argument("--mean", type=rule, default=default, metavar="{splits,videos}",
                           help=f"the final mean: splits (each split's mean over its test videos, then their mean: the papers' "
                           f"figure) or videos (every test video once); default {default.value}, {what}")


def _offered(custom: bool) -> list[DataSource]:
    """The sources a script offers: every one, the opt-in ones (a built data set) only with ``custom``."""
    return [source for source in SOURCES.values() if custom or not source.opt_in]


def _add_source_flag(group: argparse._ActionsContainer, flag: SourceFlag, offered: list[DataSource], added: set[str]) -> None:
    """One of a source's own options (sources/source.SourceFlag) as an argparse argument; left out, it is None.

    An option several sources declare (--workers: VideoXum, MrHiSum, MoSu) is added once, where the first
    declares it; its help names the others, and each source fills in its own default (check_common_arguments)."""
    if flag.option in added:
        return
    added.add(flag.option)
    others = [source.name for source in offered if any(other.option == flag.option for other in source.flags)][1:]
    text = flag.help + (f" (also with --dataset {', '.join(others)})" if others else "")
    if flag.choices:
        group.add_argument(flag.option, dest=flag.dest, choices=list(flag.choices), metavar=flag.metavar, help=text)
        return
    value_type = whole_number(flag.minimum) if flag.value is int and flag.minimum is not None else flag.value
    group.add_argument(flag.option, dest=flag.dest, type=value_type, metavar=flag.metavar, help=text)


def add_common_arguments(parser: argparse.ArgumentParser, custom: bool = False) -> None:
    """The data, splits, device and weights flags, and each data source's own flags (sources/);
    ``custom``: also the sources that are opt-in, --dataset custom with --h5 and --f1 (train.py, inference.py)."""
    offered = _offered(custom)
    grouped = [source.name for source in offered if source.in_all]
    described = "; ".join(f"{source.name}: {source.choice_help}" for source in offered if source.choice_help)
    parser.add_argument("--dataset", choices=dataset_choices(custom), default=ALL,
                        help=f"dataset(s) to use (default: {ALL}, i.e. {' and '.join(grouped)}; {described})")
    parser.add_argument("--split", type=POSITIVE, nargs="+", metavar="K",
                        help="split number(s), from 1 (default: every split)")
    add_device_argument(parser)
    streamed = [source.name for source in offered if source.flags and source.flag_group is None]
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="folder with the eccv16 h5 files and ydata-anno.tsv"
                        + "".join(f"; with --dataset {name}, the folder holding anno/ and feat/" for name in streamed)
                        + f" (default: {DEFAULT_DATA_DIR}/ in the current folder)")
    added: set[str] = set()
    for source in offered:
        for flag in source.flags if source.flag_group is None else ():
            _add_source_flag(parser, flag, offered, added)
    parser.add_argument("--weights-dir", type=Path, default=DEFAULT_WEIGHTS_DIR, help=f"folder of <dataset>/split<k>.pt files (default: {DEFAULT_WEIGHTS_DIR}/ in the current folder)")
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
    for source in offered:
        if source.flags and source.flag_group is not None and any(flag.option not in added for flag in source.flags):
            group = parser.add_argument_group(source.flag_group)
            for flag in source.flags:
                _add_source_flag(group, flag, offered, added)


def _misuse(flag: SourceFlag, dataset: str) -> str:
    """The usage error of a source's option given with a --dataset that does not take it: the declared message when every
    source that declares the option says the same (one source, or a flag shared as one: --protocol), else one naming
    every data set that takes it (--workers: VideoXum, MrHiSum, MoSu), so that the first declaring source's message
    does not read as if it were the only one."""
    declared = {source.name: other for source in SOURCES.values() for other in source.flags if other.option == flag.option}
    if len({other.misuse for other in declared.values()}) == 1:
        return flag.misuse.replace("{dataset}", dataset)
    takers = list(declared)
    named = ", ".join(f"--dataset {name}" for name in takers[:-1]) + f" or --dataset {takers[-1]}"
    return f"{flag.option} is taken only with {named}, not --dataset {dataset}"


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What the chosen data source refuses, its own flags' defaults, and other sources' flags refused (by their message)."""
    chosen = {source.name for source in sources_for(args.dataset)}
    chosen_dests = {flag.dest for source in sources_for(args.dataset) for flag in source.flags}  # a shared option is the chosen source's
    for source in SOURCES.values():
        taken = [flag for flag in source.flags if hasattr(args, flag.dest) and (source.name in chosen or flag.dest not in chosen_dests)]
        if source.name in chosen:
            problem = source.refusal(vars(args))
            if problem:
                parser.error(problem)
            for flag in taken:
                if getattr(args, flag.dest) is None:
                    setattr(args, flag.dest, flag.default)
        else:
            for flag in taken:
                if getattr(args, flag.dest) is not None:
                    parser.error(_misuse(flag, args.dataset))
    if args.splits_file is not None and args.dataset == ALL:
        parser.error("--splits-file describes one dataset's videos: choose it with "
                     + " or ".join(f"--dataset {source.name}" for source in sources_for(ALL)))


def add_resume_arguments(parser: argparse.ArgumentParser) -> None:
    """--resume or --restart (one of them at most), read as ``args.resume``: a ResumePolicy, AUTO when neither is given."""
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


def data_request(args: argparse.Namespace) -> DataRequest:
    """The command line's data flags as a typed request, with the chosen sources' own flags (sources/) by name."""
    chosen = sources_for(args.dataset)
    options = {flag.dest: getattr(args, flag.dest) for source in chosen for flag in source.flags if hasattr(args, flag.dest)}
    split = getattr(args, "split", None)
    return DataRequest(Path(getattr(args, "data_dir", DEFAULT_DATA_DIR)), Path(getattr(args, "weights_dir", DEFAULT_WEIGHTS_DIR)),
                       tuple(split) if split else None, getattr(args, "splits", "csta"), getattr(args, "splits_file", None), options)
