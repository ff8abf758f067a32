"""Train a grid of variants (CSTA's by default; any method's) on every split (and seed) and print the ablation table.

    python ablate.py                                   # the paper's ablation rows (grids/paper_ablation.json)
    python ablate.py --grid my_grid.json --dataset TVSum --seeds 1 2 3 --epochs 100
    python ablate.py --variants "no CLS token" "CPE"   # some rows of the grid only
    python ablate.py --grid grids/summdiff_ablation.json --dataset SumMe   # SummDiff's options (the grid names the method)

Each row trains with its method's authors' protocol (learning rate, videos per step, epoch rule, per-data-set values;
--epochs and --seed over it), as train.py --method trains it.

Each variant's weights go to <weights-dir>/ablation/<variant folder>/<dataset>/[seed<S>/]split<k>.pt
with train.py's record and curve beside them; runs whose weights exist are not trained again (the log
says so), so an interrupted grid resumes where it stopped. --dataset VideoXum: each run as train.py --dataset VideoXum
trains it (the epoch chosen on the validation split), scored on the test split under the V2V protocol (F1 max and
mean, tau, rho); variants are sized to the feature dimension, and one that cannot be is refused before training. --dataset MrHiSum
or MoSu: the same, under --protocol (the data set's authors' by default), the table's columns being that protocol's metrics on
the test split, each from the checkpoint the protocol keeps for it (sources/replay/ablation.py). With --ray (or --ray-address) the missing runs train
as one Ray sweep first (train.py --ray's run function and files), then every run is evaluated here. The table (F1, tau, rho per dataset as
mean ± std over seeds, parameters, mean MACs per score prediction) is printed and written as
ablation.md, ablation.json and ablation.png to --out. A grid row is
{"name": ..., "group": ..., "options": {option: value}} under an optional "method" (the grid's or the row's; default CSTA),
the options named as the method's flags name them; see grids/paper_ablation.json and grids/summdiff_ablation.json.
"""

from __future__ import annotations

import argparse
import logging
import sys
from functools import partial
from importlib import import_module
from pathlib import Path

from cli.interrupt import stops_on_interrupt
from cli.options import (
    POSITIVE,
    add_common_arguments,
    add_out_argument,
    add_overwrite_argument,
    add_seed_argument,
    add_seeds_argument,
    check_common_arguments,
    command_parser,
    data_request,
    setup_logging,
)
from cli.ray_options import add_ray_arguments, check_ray_arguments, ray_requested
from cli.route_request import route_request
from config import TrainConfig
from engine.ablation.grid import ABLATION_FOLDER, PAPER_GRID, GridError, Variant, read_grid, require_method, table_paths
from engine.run_outputs import claim_outputs, where_outputs_go
from engine.run_paths import training_outputs, weights_path_for
from models.methods import DEFAULT_METHOD, method_spec
from sources import SOURCES, own_route, sources_for
from utils.errors import ProjectError

log = logging.getLogger("ablate")

SCORING_ROUTES = ("exact", "fast")  # engine.evaluate.model_scores.ScoringRoute's values (that module imports torch)


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--grid", type=Path, default=PAPER_GRID, help=f"the grid file (default: {PAPER_GRID})")
    parser.add_argument("--variants", nargs="+", metavar="NAME", help="run only these rows of the grid (by name or folder name)")
    parser.add_argument("--epochs", type=POSITIVE, default=None,
                        help=f"epochs per split, from 1 (default: each method's authors', CSTA {defaults.epochs})")
    seeds = parser.add_mutually_exclusive_group()
    add_seed_argument(seeds, default=defaults.seed, help=f"random seed of every run (default: {defaults.seed})")
    add_seeds_argument(seeds,
                       help="train every split of every variant once per seed (weights in seed<S>/ folders); the table gives mean ± std")
    parser.add_argument("--random-init", action="store_true", help="start the CNN trunks from random weights instead of ImageNet")
    parser.add_argument("--scoring", choices=SCORING_ROUTES, default="exact",
                        help="how the table's weights are evaluated: exact (bit-identical to the reference, default) or fast "
                        "(batch norms folded; scores within 2e-5)")
    add_ray_arguments(parser)  # --ray, --ray-address, --cpus-per-run, --gpus-per-run: train the missing runs as Ray tasks
    add_out_argument(parser, help="folder of ablation.md/.json/.png (default: <weights-dir>/ablation)")
    add_overwrite_argument(parser, "an existing ablation.md/.json/.png in --out",
                           more="; the runs' weights are not concerned: runs with weights are not trained again")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    check_ray_arguments(parser, args)
    if ray_requested(args) and not all(source.ablation_on_ray for source in sources_for(args.dataset)):
        wired = "/".join(name for name, source in SOURCES.items() if source.ablation_on_ray and source.in_all)
        parser.error(f"--ray trains {wired} splits as Ray tasks; it is not wired for --dataset {args.dataset} (its runs stream with --workers)")
    return args


def chosen_variants(args: argparse.Namespace) -> list[Variant]:
    """The grid's rows (all, or those named by --variants); GridError before any data is read."""
    variants = read_grid(args.grid)
    if not args.variants:
        return variants
    by_name = {key: v for v in variants for key in (v.name, v.slug)}
    unknown = [name for name in args.variants if name not in by_name]
    if unknown:
        raise GridError(f"{args.grid} has no row {', '.join(map(repr, unknown))}; its rows are: {', '.join(v.name for v in variants)}")
    return list(dict.fromkeys(by_name[name] for name in args.variants))


def _kept_when_interrupted(args: argparse.Namespace) -> str:
    """What a Ctrl-C leaves: each run's weights written whole when it ends, its checkpoint replaced after every epoch."""
    return (f"the finished runs' weights and each unfinished run's checkpoint (its last finished epoch) are kept under "
            f"{Path(args.weights_dir) / ABLATION_FOLDER}; run the same command again to continue (runs with weights are not trained again)")


@stops_on_interrupt(_kept_when_interrupted)
def main(args: argparse.Namespace) -> int:
    """Check the grid, the data and every output, then train (torch is imported only then).

    Returns 0 when done, 1 when some outputs had to be kept elsewhere (the log says where), 2 when refused,
    130 when stopped by Ctrl-C (one line says what was kept).
    """
    setup_logging()
    seeds = list(dict.fromkeys(args.seeds or [args.seed]))
    out_dir = args.out or Path(args.weights_dir) / ABLATION_FOLDER
    try:
        variants = chosen_variants(args)
        several = len(seeds) > 1
        route = own_route(args.dataset)
        if route is not None:  # its splits and every feature file checked; a variant that cannot take its features refused now
            require_method(variants, DEFAULT_METHOD, f"--dataset {args.dataset} (its own ablation route)")
            module, request = import_module(route), route_request(args)
            data, weights, inputs = module.ablation_inputs(request, variants, seeds)
            files_of = partial(module.run_files, request)  # Mr.HiSum's runs keep a checkpoint per metric
        else:
            from sources.folds import input_files, load_dataset_and_splits

            request = data_request(args)
            data = [load_dataset_and_splits(source.spec, request, need_train=True) for source in sources_for(args.dataset)]
            weights = [weights_path_for(v.weights_dir(args.weights_dir), benchmark.spec.name, split.number, seed if several else None)
                       for v in variants for seed in seeds for benchmark, splits in data for split in splits]
            inputs = [path for benchmark, _ in data for path in input_files(benchmark, request)]
            files_of = training_outputs
        to_train = [path for path in weights if not path.is_file()]
        tables = table_paths(out_dir)
        claim = claim_outputs([path for w in to_train for path in files_of(w)] + tables, inputs=inputs + [args.grid],
                              lock=to_train + tables, fresh=tables, overwrite=args.overwrite)
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    log.info("%d variant(s) x %d run(s): %d to train, %d with weights already", len(variants), len(weights) // len(variants),
             len(to_train), len(weights) - len(to_train))
    log.info("%s", where_outputs_go("the runs' weights and the table", Path(args.weights_dir) / ABLATION_FOLDER, out_dir))
    with claim:
        try:
            return _ablate(args, variants, data, seeds, out_dir, claim.fallback)
        except (ProjectError, OSError) as error:
            log.error("error: %s", error)
            return 2


def _ablate(args: argparse.Namespace, variants: list[Variant], data: list, seeds: list[int], out_dir: Path, fallback) -> int:  # noqa: ANN001
    from engine.ablation.grid_runs import AblationJob, run_grid
    from engine.ablation.table import ablation_markdown, write_ablation_table
    from engine.evaluate.model_scores import ScoringRoute
    from engine.train.loop import trunk_init
    from models.backbone import BackboneInit, BackboneOrigin, BackboneWeightsUnavailable, build_backbone, trunk_origin
    from utils.runtime import select_device

    train_cfg = TrainConfig(epochs=args.epochs or TrainConfig().epochs, seed=seeds[0], imagenet_init=not args.random_init)
    trunks = [method_spec(v.method).trunk_spec(v.config) for v in variants]
    specs = list({spec.backbone: spec for spec in trunks if spec is not None}.values())
    if train_cfg.imagenet_init:
        try:
            for spec in specs:
                build_backbone(spec, BackboneInit.IMAGENET)  # fail now, not after hours of training
        except BackboneWeightsUnavailable as error:
            log.error("error: %s\nOr train from randomly initialised trunks with --random-init (not the paper's setting).", error)
            return 2
    stand_in = any(trunk_origin(trunk_init(train_cfg), spec) is BackboneOrigin.STAND_IN for spec in specs)
    sweep = None
    if ray_requested(args):
        from engine.scale.ray_sweep import SweepConfig

        sweep = SweepConfig(address=args.ray_address, cpus_per_run=args.cpus_per_run or 1.0, gpus_per_run=args.gpus_per_run,
                            device=None if args.device is None else select_device(args.device).type)
    route = own_route(args.dataset)
    if route is not None:  # trained and scored by the source's own route (VideoXum's: sources/videoxum/ablation.py)
        results = import_module(route).ablate(variants, data, seeds, train_cfg, args.weights_dir, select_device(args.device), fallback)
    else:
        job = AblationJob(data, seeds, train_cfg, args.weights_dir, select_device(args.device), ScoringRoute(args.scoring),
                          epochs_given=args.epochs is not None)
        results = run_grid(variants, job, fallback, sweep)
    log.info("\n%s", ablation_markdown(results, stand_in))
    written = write_ablation_table(out_dir, results, stand_in, " ".join(sys.argv))
    log.info("wrote %s", ", ".join(map(str, written)))
    return fallback.exit_status(log)


def run() -> None:
    """The command line (``python ablate.py`` and the installed console command, pyproject.toml [project.scripts])."""
    sys.exit(main(parse_args()))


if __name__ == "__main__":
    run()
