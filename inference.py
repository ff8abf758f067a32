"""Evaluate CSTA weights (released or trained) with the benchmark protocol.

For every split with a weights file: F1, Kendall tau and Spearman rho on its test videos, then the
mean over splits. --seeds reads the several-seed layout of train.py (<dataset>/seed<S>/split<k>.pt)
and adds mean ± std over the seeds; --report DIR writes report.md, report.json and per-video plots.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from config import dataset_specs
from dataset.errors import DataError
from engine.cli import add_common_arguments, check_common_arguments, load_dataset_and_splits, setup_logging
from engine.complexity import measure_csta
from engine.inference import evaluate_weights
from engine.report import DatasetReport, build_report, evaluation_json, evaluation_table, labels, write_report, write_video_plots
from engine.seeds import seeds_table, spread_over_seeds
from evaluation.baselines import DEFAULT_DRAWS, baselines_table, human_row_or_unavailable, random_baseline
from models.checkpoint import CheckpointMismatch
from utils import write_json_atomic
from utils.errors import ProjectError
from utils.runtime import select_device

log = logging.getLogger("inference")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the table as JSON to PATH")
    parser.add_argument("--seeds", type=int, nargs="+", metavar="S",
                        help="evaluate the weights of several seeds (<weights-dir>/<dataset>/seed<S>/split<k>.pt, as train.py --seeds "
                        "writes them) and print mean ± std; a single seed reads the usual <dataset>/split<k>.pt")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="write DIR/report.md, DIR/report.json (with the paper's row, the baselines, checksums, versions) "
                        "and DIR/plots/<dataset>/.../<video>.png")
    parser.add_argument("--complexity", action="store_true",
                        help="add the trainable parameters and the mean MACs of a score prediction over the test videos to the report")
    parser.add_argument("--random-draws", type=int, default=DEFAULT_DRAWS,
                        help=f"draws of the Random baseline in the report (default: {DEFAULT_DRAWS})")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    if args.random_draws < 1:
        parser.error("--random-draws must be at least 1")
    if args.complexity and not args.report:
        parser.error("--complexity adds to the report: give --report DIR too")
    args.command_line = list(sys.argv[1:] if argv is None else argv)  # recorded in the report
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging()
    seeds: list[int | None] = list(dict.fromkeys(args.seeds or []))
    several = len(seeds) > 1
    if not several:
        seeds = [None]  # one seed: the flat <dataset>/split<k>.pt layout, as train.py writes it
    try:
        device = select_device(args.device)
        jobs = [load_dataset_and_splits(spec, args, need_train=False) for spec in dataset_specs(args.dataset)]
        reports = []
        for benchmark, splits in jobs:
            runs = []
            for seed in seeds:
                run = evaluate_weights(benchmark, splits, args.weights_dir, device, require_all=bool(args.split), seed=seed)
                log.info("%s%s\n", f"seed {seed}: " if seed is not None else "", evaluation_table(run))
                runs.append(run)
            spread = spread_over_seeds(benchmark.spec.name, {run.seed: run.mean for run in runs}) if several else None
            if spread:
                notes = labels(benchmark.synthetic, any(run.stand_in_backbone for run in runs)).strip()
                log.info("Mean over splits, then mean ± std over %d seed(s):\n%s\n", len(runs), seeds_table([spread], notes))
            baselines, computation = [], None
            if args.report:
                # the test videos actually evaluated, each once, so the rows compare like with like
                keys = list(dict.fromkeys(video.key for split in runs[0].splits for video in split.videos))
                videos = benchmark.subset(tuple(keys))
                baselines = [random_baseline(videos, benchmark.spec, args.random_draws), human_row_or_unavailable(videos, benchmark.spec)]
                log.info("%s\n", baselines_table(benchmark.spec.name, baselines, benchmark.synthetic))
                if args.complexity:
                    computation = measure_csta([video.n_steps for video in videos], device)
            reports.append(DatasetReport(benchmark, runs, baselines, spread, computation))
    except (ProjectError, DataError, CheckpointMismatch, FileNotFoundError, RuntimeError) as error:
        log.error("error: %s", error)
        return 2
    if args.json:
        if several:
            payload = {r.benchmark.spec.name: {"runs": {str(run.seed): evaluation_json([run])[run.dataset] for run in r.runs},
                                              "across_seeds": r.spread.as_dict()} for r in reports}
        else:
            payload = evaluation_json([r.runs[0] for r in reports])
        write_json_atomic(args.json, payload)
        log.info("wrote %s", args.json)
    if args.report:
        plots = {r.benchmark.spec.name: [p for run in r.runs for p in write_video_plots(args.report, r.benchmark, run)] for r in reports}
        command = shlex.join(["python", "inference.py", *args.command_line])
        json_path, md_path = write_report(args.report, build_report(reports, device, command, plots))
        log.info("wrote %s, %s and %d plot(s)", md_path, json_path, sum(map(len, plots.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
