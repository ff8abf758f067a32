"""Evaluate CSTA, PGL-SUM or CA-SUM weights (released or trained) with the benchmark protocol.

For every split with a weights file: F1, Kendall tau and Spearman rho on its test videos, then the
mean over splits (--mean videos: over every test video, score.py's figure; the table says which). Each weights file is scored as the model its record (split<k>.json, written by
train.py) names; released weights have none, so --method and the model options say what they are
(defaults: CSTA's released configuration). A flag that contradicts a record is refused.

--seeds reads the several-seed layout of train.py (<dataset>/seed<S>/split<k>.pt) and adds mean ±
std over the seeds; --report DIR writes report.md, report.json and per-video plots; --save-scores
PATH.h5 writes every test video's step scores and 0/1 summary; --compare DIR... prints one table
of several methods' folders beside their papers' figures, the Random and Human rows and each
row's epoch-selection rule.

--dataset VideoXum --data-dir DIR [--features NAME]: weights/VideoXum/[seed<S>/]split1.pt on
VideoXum's test split with its V2V protocol (F1 max and mean, Kendall, Spearman), beside the Human row
(the annotators' agreement) and VideoXum's published rows with their source; --json PATH writes the
table, --seeds, --report, --save-scores (one value per 1 fps frame) and --compare work as above.

Own data: --dataset custom --h5 my.h5 scores the weights train.py wrote for a file build_dataset.py
made, on the folds it wrote beside them (or --splits-file); score.py reads the --save-scores file as is.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Callable
from dataclasses import replace
from importlib import import_module
from pathlib import Path
from typing import Any

from cli.interrupt import stops_on_interrupt
from cli.method_options import add_model_arguments, model_choice_from_args
from cli.options import (
    POSITIVE,
    SEED,
    add_common_arguments,
    add_mean_argument,
    add_overwrite_argument,
    add_seeds_argument,
    check_common_arguments,
    command_parser,
    data_request,
    setup_logging,
)
from cli.route_request import route_request
from config import ModelConfigError
from engine.run_outputs import ClaimedOutputs, Fallback, claim_outputs, where_outputs_go
from engine.run_paths import REPORT_FILES, record_path_for, report_outputs, weights_to_evaluate
from evaluation.means import MeanOver  # standard library only
from evaluation.random_draws import RANDOM_DRAWS  # standard library only: --help answers before scipy loads
from models.method_choice import ModelChoiceError, with_sampling_seed
from models.methods import METHOD_NAMES
from sources import SOURCES, own_route, sources_for
from utils.collector import loading_without_collections
from utils.errors import ProjectError
from utils.exit import exit_now

log = logging.getLogger("inference")


def compared_folder(text: str) -> tuple[str | None, Path]:
    """An argparse type for --compare: 'DIR' or 'METHOD=DIR' (the method of weights without a record)."""
    method, separator, folder = text.partition("=")
    if separator and method in METHOD_NAMES:
        return method, Path(folder)
    if separator and method.upper().replace("_", "-") in METHOD_NAMES:
        raise argparse.ArgumentTypeError(f"unknown method {method!r} in {text!r}; methods are spelt {', '.join(METHOD_NAMES)}")
    return None, Path(text)


SCORING_LABELS = {
    "fast": "fast (batch norms folded; scores within 2e-5 of the exact route, --scoring exact for bit-identical)",
    "exact": "exact (bit for bit the reference implementation's scores)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, custom=True)  # --dataset custom --h5 PATH [--f1]: a data set build_dataset.py wrote
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the table as JSON to PATH")
    add_seeds_argument(parser,
                       help="evaluate the weights of several seeds (<weights-dir>/<dataset>/seed<S>/split<k>.pt, as train.py --seeds "
                        "writes them) and print mean ± std; a single seed reads the usual <dataset>/split<k>.pt")
    parser.add_argument("--sample-seeds", type=SEED, nargs="+", metavar="S",
                        help="a sampled method (SummDiff): score the weights once per sampling seed and print mean ± std over "
                        "the sampling seeds (with --seeds, over the training seeds too); --json adds every draw")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="write DIR/report.md, DIR/report.json (with the paper's row, the baselines, checksums, versions) "
                        "and DIR/plots/<dataset>/.../<video>.png")
    parser.add_argument("--complexity", action="store_true",
                        help="add the trainable parameters and the mean MACs of a score prediction over the test videos to the report, "
                        "measured on the model the weights are scored as (their record's method and options, or the flags'); "
                        "for a sampled model (SummDiff) also its encoder's MACs and the MACs per sampling step")
    parser.add_argument("--random-draws", type=POSITIVE, default=RANDOM_DRAWS,
                        help=f"draws of the Random baseline in the report, from 1 (default: {RANDOM_DRAWS})")
    parser.add_argument("--save-scores", type=Path, metavar="PATH.h5",
                        help="write every evaluated test video's step scores and 0/1 frame summary to PATH.h5 "
                        "(/<dataset>/<video>/step_scores and machine_summary, with the split and the model as attributes)")
    parser.add_argument("--scoring", choices=("fast", "exact"), default="fast",
                        help="fast (default): the CNN's batch norms folded into its convolutions, scores within 2e-5 of the "
                        "exact ones, same tau/rho to 3 decimals, about half the time; exact: bit for bit the reference "
                        "implementation's scores")
    parser.add_argument("--compare", type=compared_folder, nargs="+", metavar="[METHOD=]DIR",
                        help="instead of --weights-dir: several weights folders (one per method or setup, each laid out as "
                        "--weights-dir), printed as one table with the papers' figures, Random, Human and each row's "
                        "selection rule; --json PATH writes it as JSON. Weights with a record are scored as it says; "
                        "METHOD= names the method of a folder without records (released weights: PGL-SUM=released/pgl), "
                        "otherwise --method and the model options do")
    add_mean_argument(parser, MeanOver.SPLITS, "the papers' (score.py gives videos by default)")
    add_overwrite_argument(parser, "an existing --json, --save-scores or --report file")
    add_model_arguments(parser)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    if args.complexity and not args.report:
        parser.error("--complexity adds to the report: give --report DIR too")
    if args.compare and (args.report or args.save_scores):
        parser.error("--compare prints its own table (and --json writes it): it does not combine with --report or --save-scores")
    if args.complexity and not all(source.complexity for source in sources_for(args.dataset)):
        measured = "'s and ".join(name for name, source in SOURCES.items() if source.complexity and source.in_all)
        parser.error(f"--complexity measures MACs per prediction over {measured}'s videos; it is not available with --dataset {args.dataset}")
    if args.sample_seeds and (args.report or args.save_scores or args.compare):
        parser.error("--sample-seeds prints the spread over draws (--json writes every draw); for a report, saved scores or a "
                     "comparison, choose one draw with --sample-seed S")
    if args.sample_seeds and not all(source.takes_sample_seeds for source in sources_for(args.dataset)):
        parser.error(f"--sample-seeds is not available with --dataset {args.dataset}: choose one draw with --sample-seed S")
    if args.save_scores is not None and args.save_scores.suffix.lower() not in (".h5", ".hdf5"):
        parser.error(f"--save-scores writes an HDF5 file: give a name ending in .h5, not {args.save_scores}")
    try:
        args.model = model_choice_from_args(args)  # for weights without a record; a record wins over the defaults
        args.draws = [with_sampling_seed(args.model, seed) for seed in dict.fromkeys(args.sample_seeds or [])]
    except (ModelChoiceError, ModelConfigError, ValueError) as error:
        parser.error(str(error))
    args.command_line = list(sys.argv[1:] if argv is None else argv)  # recorded in the report
    return args


def _kept_when_interrupted(args: argparse.Namespace) -> str:
    """What a Ctrl-C leaves: the outputs come after the scoring, each written whole, and a "wrote" line names each one."""
    return ("nothing is written before every split is scored, and no file is left half-written (a 'wrote' line above names "
            "any output finished since); run the same command again")


@stops_on_interrupt(_kept_when_interrupted)
def main(args: argparse.Namespace) -> int:
    """Check the data, the weights files and every output, then evaluate (torch is imported only then).

    Returns:
        0 when every output is where it was asked for; 1 when some had to be kept elsewhere (the
        disk filled during the run: the log says where); 2 when the run was refused (a message names why);
        130 when stopped by Ctrl-C (one line says so).
    """
    setup_logging()
    seeds: list[int | None] = list(dict.fromkeys(args.seeds or []))
    if len(seeds) < 2:
        seeds = [None]  # one seed: the flat <dataset>/split<k>.pt layout, as train.py writes it
    route = own_route(args.dataset)
    if route is not None:
        return _evaluate_own_split(args, seeds, route)  # its own test split and table (VideoXum's V2V: sources/videoxum/)
    try:
        folders = [folder for _, folder in args.compare] if args.compare else [args.weights_dir]
        jobs_of, inputs = _open_folders(args, folders)  # a built data set: the folds train.py wrote beside each folder's weights
        jobs = jobs_of[folders[0]]
        weights = [(benchmark.spec.name, seed, weights_to_evaluate(folder, benchmark.spec.name, splits, bool(args.split), seed))
                   for folder in folders for benchmark, splits in jobs_of[folder] for seed in seeds]
        inputs += [path for _, _, present in weights for _, weights_path in present
                   for path in (weights_path, record_path_for(weights_path)) if path.is_file()]
        outputs = [path for path in (args.json, args.save_scores) if path]
        if args.report:
            outputs += report_outputs(args.report, [(name, seed, split.number, split.test_keys)
                                                    for name, seed, present in weights for split, _ in present])
        claim = claim_outputs(outputs, inputs, lock=_locked_outputs(args), fresh=outputs, overwrite=args.overwrite)
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    work = _compare if args.compare else _evaluate
    _say_where(args)
    return _run_claimed(claim, lambda fallback: work(args, jobs_of if args.compare else jobs, seeds, fallback))


def _open_folders(args: argparse.Namespace, folders: list[Path]) -> tuple[dict[Path, list], list[Path]]:
    """The data and splits each weights folder is scored on, and every file read.

    SumMe and TVSum (and any --splits-file) have one set of splits for every folder; a built data set's folds are
    the ones train.py wrote beside each folder's weights, so --compare A B reads A's and B's (not --weights-dir's).
    """
    from sources.folds import open_run_data  # numpy and h5py, not yet torch

    chosen, request = sources_for(args.dataset), data_request(args)
    if any(source.folds_beside_weights(request) for source in chosen):
        opened = {folder: open_run_data(chosen, replace(request, weights_dir=folder), need_train=False) for folder in folders}
    else:
        data = open_run_data(chosen, request, need_train=False)
        opened = dict.fromkeys(folders, data)
    jobs_of = {folder: [(benchmark, splits) for _, benchmark, splits in data.jobs] for folder, data in opened.items()}
    folds = {folder: [[split.test_keys for split in splits] for _, splits in jobs] for folder, jobs in jobs_of.items()}
    if len({str(value) for value in folds.values()}) > 1:
        log.warning("note: %s were trained on different folds: each row is scored on its own folder's folds, so the rows' "
                    "test videos per split differ (--mean videos counts every video once in each row)", " and ".join(map(str, folders)))
    return jobs_of, list(dict.fromkeys(path for data in opened.values() for path in data.inputs))


def _say_where(args: argparse.Namespace) -> None:
    """One line before the work: where the outputs go (nothing when only the table is printed)."""
    named = [path for path in (args.json, args.save_scores, args.report) if path]
    if named:
        log.info("%s", where_outputs_go("the results", *named))


def _locked_outputs(args: argparse.Namespace) -> list[Path]:
    """The outputs a second run must not write at the same time (a report: its first file stands for the folder)."""
    return [path for path in (args.json, args.save_scores, args.report and args.report / REPORT_FILES[0]) if path]


def _run_claimed(claim: ClaimedOutputs, work: Callable[[Fallback], int]) -> int:
    """``work`` under the claim of its outputs; torch is imported only now, the run known to be possible."""
    with claim:
        with loading_without_collections():  # torch's objects: see utils/collector.py
            from models.checkpoint import CheckpointMismatch

        try:
            return work(claim.fallback)
        except (ProjectError, CheckpointMismatch, OSError) as error:
            log.error("error: %s", error)
            return 2


def _evaluate_own_split(args: argparse.Namespace, seeds: list[int | None], route: str) -> int:
    """A source with its own test split and table (VideoXum's: sources/videoxum/commands.py); --seeds, --report,
    --save-scores and --compare as for SumMe/TVSum."""
    try:
        read, work = import_module(route).evaluation(route_request(args), seeds)  # reads and checks the test split and the weights files
        outputs = [path for path in (args.json, args.save_scores) if path] + (report_outputs(args.report, []) if args.report else [])
        claim = claim_outputs(outputs, read, lock=_locked_outputs(args), fresh=outputs, overwrite=args.overwrite)
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    _say_where(args)
    return _run_claimed(claim, work)


def _evaluate(args: argparse.Namespace, jobs: list, seeds: list[int | None], fallback: Fallback) -> int:
    """The work, once the inputs are read and every output is known to be writable."""
    with loading_without_collections():  # torchvision's and scipy's, the evaluation's: 0.86 s of full collections in all otherwise
        from engine.evaluate.complexity import measure_method
        from engine.evaluate.model_scores import ScoringRoute
        from engine.evaluate.seed_spread import draws_table, seeds_table, spread_over_draws, spread_over_seeds
        from engine.evaluate.weights_evaluation import check_models, evaluate_weights
        from engine.reports.tables import (
            DatasetReport,
            build_report,
            evaluation_json,
            evaluation_table,
            labels,
            write_report,
            write_video_plots,
        )
        from evaluation.baselines import baselines_table, human_row_or_unavailable, random_baseline
        from utils import write_json_atomic
        from utils.runtime import select_device

    several = len(seeds) > 1
    device = select_device(args.device)
    log.info("device: %s | scoring: %s", device, SCORING_LABELS[args.scoring])
    check_models(jobs, [args.weights_dir], seeds, args.model, bool(args.split))
    reports = []
    draws_json = {}
    for benchmark, splits in jobs:
        runs, grid = [], {}
        for seed in seeds:
            drawn = []
            for flags in args.draws or [args.model]:  # --sample-seeds: one scoring per sampling seed
                draw = f"sampling seed {flags.config.sample_seed}" if args.draws else ""
                run = _with_mean(args, evaluate_weights(benchmark, splits, args.weights_dir, device, require_all=bool(args.split),
                                                        seed=seed, flags=flags, route=ScoringRoute(args.scoring)))
                title = ", ".join(part for part in (f"seed {seed}" if seed is not None else "", draw) if part)
                log.info("%s%s\n", f"{title}: " if title else "", evaluation_table(run))
                drawn.append(run)
            runs.append(drawn[0])
            if args.draws:
                grid[seed] = {flags.config.sample_seed: run for flags, run in zip(args.draws, drawn, strict=True)}
        spread = spread_over_seeds(benchmark.spec.name, {run.seed: run.mean for run in runs}) if several else None
        notes = labels(benchmark.synthetic, any(run.stand_in_backbone for run in runs)).strip()
        if args.draws:
            over_draws = spread_over_draws(benchmark.spec.name,
                                           {seed: {draw: run.mean for draw, run in row.items()} for seed, row in grid.items()})
            log.info("Mean over splits, then mean ± std over the draws (the method samples its scores):\n%s\n",
                     draws_table(over_draws, notes))
            draws_json[benchmark.spec.name] = {"draws": {str(seed): {str(draw): evaluation_json([run])[run.dataset]
                                                                      for draw, run in row.items()} for seed, row in grid.items()},
                                               **over_draws.as_dict()}
        elif spread:
            log.info("Mean over splits, then mean ± std over %d seed(s):\n%s\n", len(runs), seeds_table([spread], notes))
        baselines, computation = [], None
        if args.report:
            # the test videos actually evaluated, each once, so the rows compare like with like
            keys = list(dict.fromkeys(video.key for split in runs[0].splits for video in split.videos))
            videos = benchmark.subset(tuple(keys))
            baselines = [random_baseline(videos, benchmark.spec, args.random_draws), human_row_or_unavailable(videos, benchmark.spec)]
            log.info("%s\n", baselines_table(benchmark.spec.name, baselines, benchmark.synthetic))
            if args.complexity:
                choice = _measured_model(runs, args.model)
                computation = {**measure_method(choice.method, [video.n_steps for video in videos], device, choice.config),
                               "model": choice.describe()}
        reports.append(DatasetReport(benchmark, runs, baselines, spread, computation))

    if args.json:
        if args.draws:
            payload = draws_json
        elif several:
            payload = {r.benchmark.spec.name: {"runs": {str(run.seed): evaluation_json([run])[run.dataset] for run in r.runs},
                                              "across_seeds": r.spread.as_dict()} for r in reports}
        else:
            payload = evaluation_json([r.runs[0] for r in reports])
        log.info("wrote %s", fallback.write(args.json, lambda path: write_json_atomic(path, payload)))
    command = shlex.join(["python", "inference.py", *args.command_line])
    if args.save_scores:
        from engine.evaluate.saved_scores import write_score_file

        scored = [(r.benchmark, r.runs) for r in reports]
        log.info("wrote %s", fallback.write(args.save_scores, lambda path: write_score_file(path, scored, command)))
    if args.report:
        plots: dict[str, list[str]] = {}

        def write_report_folder(folder: Path) -> None:
            plots.clear()
            plots.update({r.benchmark.spec.name: [p for run in r.runs for p in write_video_plots(folder, r.benchmark, run)] for r in reports})
            write_report(folder, build_report(reports, device, command, plots))

        folder = fallback.write(args.report, write_report_folder)
        log.info("wrote %s, %s and %d plot(s)", *(folder / name for name in REPORT_FILES), sum(map(len, plots.values())))
    return fallback.exit_status(log)


def _measured_model(runs: list, flags: Any) -> Any:
    """The model --complexity measures: the one the weights were scored as (a record's method and options, or the
    flags'); when the splits were scored as different models, the first split's, with a warning naming the others."""
    choices = list(dict.fromkeys(split.model for run in runs for split in run.splits if split.model is not None)) or [flags]
    if len(choices) > 1:
        log.warning("--complexity measures %s, the model of the first split; the other splits were scored as %s",
                    choices[0].describe(), ", ".join(choice.describe() for choice in choices[1:]))
    return choices[0]


def _with_mean(args: argparse.Namespace, run: Any) -> Any:
    """The evaluation with the final mean --mean asks for (its table and JSON say which)."""
    run.mean_rule = args.mean
    return run


def _compare(args: argparse.Namespace, jobs_of: dict[Path, list], seeds: list[int | None], fallback: Fallback) -> int:
    """--compare: every folder evaluated like --weights-dir (on its own folds: ``jobs_of``), then one table per dataset."""
    from engine.evaluate.method_comparison import compare_dataset, comparison_json, comparison_table
    from engine.evaluate.model_scores import ScoringRoute
    from engine.evaluate.weights_evaluation import check_models, evaluate_weights
    from models.method_choice import ModelChoice
    from models.methods import method_spec
    from utils import write_json_atomic
    from utils.runtime import select_device

    device = select_device(args.device)
    flags = {folder: ModelChoice(method, method_spec(method).default_config(), frozenset({"method"})) if method else args.model
             for method, folder in args.compare}
    for folder, choice in flags.items():
        check_models(jobs_of[folder], [folder], seeds, choice, bool(args.split))
    tables = []
    for index, (benchmark, _) in enumerate(next(iter(jobs_of.values()))):
        runs = {folder: [_with_mean(args, evaluate_weights(*jobs_of[folder][index], folder, device, require_all=bool(args.split), seed=seed,
                                                           flags=choice, route=ScoringRoute(args.scoring)))
                         for seed in seeds] for folder, choice in flags.items()}
        tables.append(compare_dataset(benchmark, runs, args.random_draws))
        log.info("%s\n", comparison_table(tables[-1]))
    if args.json:
        payload = comparison_json(tables, shlex.join(["python", "inference.py", *args.command_line]))
        log.info("wrote %s", fallback.write(args.json, lambda path: write_json_atomic(path, payload)))
    return fallback.exit_status(log)


def run() -> None:
    """The command line (``python inference.py`` and the installed console command, pyproject.toml [project.scripts])."""
    exit_now(main(parse_args()))  # without the interpreter's teardown: see utils/exit.py


if __name__ == "__main__":
    run()
