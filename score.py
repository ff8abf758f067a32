"""Score any method's predictions on a data set built by build_dataset.py, under this project's protocol, or on
Mr.HiSum's or MoSu's own label file under the data set's published protocol.

    python score.py --h5 data/my.h5 --scores scores.h5 [--f1 max|mean] [--mean videos|splits] [--json results.json]
    python score.py --h5 DIR/mr_hisum.h5 --scores scores.h5 [--protocol mrhisum|triplesumm] [--json results.json]

--h5 is the file build_dataset.py wrote, as train.py and inference.py take it. --scores: the --save-scores h5
of inference.py (a group per video holding step_scores, with its split), or a
JSON object mapping each video key (video_1) or name (clip.mp4 or clip) to a list of scores, one
per pick or one per frame (the length says which). The summary is made from the scores by the
protocol (knapsack over the file's shots at 15%), so every method is scored the same way.

F1 over annotators: max for segment labels (as SumMe), mean for score labels (as TVSum) unless
--f1 says otherwise; tau and rho follow TVSum's protocol for score labels and SumMe's for segments.
Prints F1, tau and rho per video and overall, and lists the videos without predictions. The overall figure is
the mean over the videos; inference.py's is the mean over splits (each split's mean over its test videos):
--mean splits gives that one (it needs the --save-scores h5, whose videos carry their split). The older
spellings --data and --pred still work.

Mr.HiSum's mr_hisum.h5 (or TripleSumm's mrhisum_gt.h5) and MoSu's mosu_gt.h5, recognised by the data sets'
declarations (sources/), are scored with one score per row (1 fps) under --protocol, by default the data set's
authors' (Mr.HiSum: mrhisum, F1 and mAP@50/@15; MoSu: triplesumm, tau, rho and mAP@50/@15), per video and as
the mean over the scored videos; the split file beside the label file names the test videos without scores.
Exit status: 0 scored, 2 an error (named: unknown video, wrong length, NaN, unreadable file), 130 stopped by Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cli.interrupt import stops_on_interrupt
from cli.options import add_mean_argument, add_old_spelling, add_overwrite_argument, command_parser
from evaluation.means import MeanOver  # standard library only
from sources import SOURCES  # standard library only: which data set owns an --h5 file, and how it scores it
from sources.custom import F1_FLAG  # a built data set's F1 rules, as train.py and inference.py take them

log = logging.getLogger("score")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # dest data/pred: the older spellings --data and --pred (hidden) write the same attributes
    parser.add_argument("--h5", dest="data", type=Path, metavar="PATH", help="required: the h5 file build_dataset.py wrote (with --labels), or a data set's own label file "
                        "(Mr.HiSum's mr_hisum.h5 or mrhisum_gt.h5, MoSu's mosu_gt.h5)")
    parser.add_argument("--scores", dest="pred", type=Path, metavar="PATH",
                        help="required: the predictions, inference.py's --save-scores h5 or a JSON object video -> scores")
    add_old_spelling(parser, "--data", "data", type=Path)
    add_old_spelling(parser, "--pred", "pred", type=Path)
    add_mean_argument(parser, MeanOver.VIDEOS, "as inference.py --mean videos; splits needs the --save-scores h5")
    parser.add_argument("--f1", choices=list(F1_FLAG.choices), help="F1 over annotators (default: max for segment labels, mean for score labels)")
    protocols = protocol_flags()
    if protocols:
        choices = list(dict.fromkeys(choice for flag in protocols for choice in flag.choices or ()))
        parser.add_argument("--protocol", dest=protocols[0].dest, choices=choices,
                            help="with a data set's own label file (Mr.HiSum, MoSu): the published protocol that scores it "
                            "(default: the data set's authors' one)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    add_overwrite_argument(parser, "an existing --json file")
    return parser


def protocol_flags() -> list:
    """Every data set's own --protocol flag (sources/), which score.py takes for their label files."""
    return [flag for source in SOURCES.values() for flag in source.flags if flag.option == "--protocol"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    missing = [flag for flag, dest in (("--h5", "data"), ("--scores", "pred")) if getattr(args, dest, None) is None]
    if missing:
        parser.error(f"the following arguments are required: {', '.join(missing)}")
    return args


def missing_input(args: argparse.Namespace) -> str | None:
    """An input that is not there, said before torch and h5py load (seconds): the message names the flag and the file."""
    for flag, path, what in (("--h5", args.data, "the file build_dataset.py wrote, or a data set's own label file"),
                             ("--scores", args.pred, "inference.py --save-scores's file, or a JSON object video -> scores")):
        if not path.is_file():
            return f"{flag} {path}: {'a folder, not a file' if path.is_dir() else 'no such file'} (give {what})"
    return None


@stops_on_interrupt(lambda args: "nothing was written; run the same command again")  # --json is written whole, at the very end
def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    problem = missing_input(args)
    if problem:
        log.error("error: %s", problem)
        return 2
    from engine.run_outputs import refuse_collisions, refuse_existing, where_outputs_go  # standard library only
    from utils.errors import ProjectError

    try:
        if args.json:  # before any work (and before torch loads): --json naming an input, or an existing file
            refuse_collisions([args.json], [args.data, args.pred])
            refuse_existing([args.json], args.overwrite)
            log.info("%s", where_outputs_go("the figures", args.json))
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    from builder.score_predictions import score_predictions, score_table
    from config import F1Reduction
    from utils import write_json_atomic

    try:
        owner = next((source for source in SOURCES.values() if source.owns_labels(args.data)), None)
        protocol = {flag.dest: getattr(args, flag.dest, None) for flag in protocol_flags()}
        if owner is not None:
            report = owner.score_labels(args.data, args.pred, {"f1": args.f1, "mean": args.mean, **protocol})
            log.info("%s", report.table())
        else:
            if any(value is not None for value in protocol.values()):
                log.error("error: --protocol is for a data set's own label file (Mr.HiSum's mr_hisum.h5, MoSu's mosu_gt.h5); "
                          "%s is scored under this project's protocol: leave it out", args.data)
                return 2
            report = score_predictions(args.data, args.pred, F1Reduction(args.f1) if args.f1 else None, args.mean)
            log.info("%s", score_table(report))
        if args.json:
            write_json_atomic(args.json, report.as_dict())
            log.info("wrote %s", args.json)
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    return 0


def run() -> None:
    """The command line (``python score.py`` and the installed console command, pyproject.toml [project.scripts])."""
    sys.exit(main(parse_args()))


if __name__ == "__main__":
    run()
