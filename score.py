"""Score any method's predictions on a data set built by build_dataset.py, under this project's protocol.

    python score.py --data data/my.h5 --pred scores.json [--f1 max|mean] [--json results.json]

PRED: the --save-scores h5 of train.py/inference.py (a group per video holding step_scores), or a
JSON object mapping each video key (video_1) or name (clip.mp4 or clip) to a list of scores, one
per pick or one per frame (the length says which). The summary is made from the scores by the
protocol (knapsack over the file's shots at 15%), so every method is scored the same way.

F1 over annotators: max for segment labels (as SumMe), mean for score labels (as TVSum) unless
--f1 says otherwise; tau and rho follow TVSum's protocol for score labels and SumMe's for segments.
Prints F1, tau and rho per video and overall, and lists the videos without predictions.
Exit status: 0 scored, 2 an error (named: unknown video, wrong length, NaN, unreadable file), 130 stopped by Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cli.interrupt import stops_on_interrupt
from cli.options import command_parser
from sources.custom import F1_FLAG  # a built data set's F1 rules, as train.py and inference.py take them

log = logging.getLogger("score")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the h5 file build_dataset.py wrote (with --labels)")
    parser.add_argument("--pred", type=Path, required=True, help="predictions: a --save-scores h5 or a JSON object video -> scores")
    parser.add_argument("--f1", choices=list(F1_FLAG.choices), help="F1 over annotators (default: max for segment labels, mean for score labels)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


@stops_on_interrupt(lambda args: "nothing was written; run the same command again")  # --json is written whole, at the very end
def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from builder.score_predictions import score_predictions, score_table
    from config import F1Reduction
    from engine.run_outputs import refuse_collisions
    from utils import write_json_atomic
    from utils.errors import ProjectError

    try:
        if args.json:  # before any work: --json naming --data or --pred would replace the data set or the predictions
            refuse_collisions([args.json], [args.data, args.pred])
        report = score_predictions(args.data, args.pred, F1Reduction(args.f1) if args.f1 else None)
        log.info("%s", score_table(report))
        if args.json:
            write_json_atomic(args.json, report.as_dict())
            log.info("wrote %s", args.json)
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
