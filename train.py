"""Train CSTA on SumMe and/or TVSum, split by split, with the paper's protocol.

Writes weights/<dataset>/split<k>.pt (the released layout), with a JSON record and the training
curve (split<k>_curve.png) beside each. With several --seeds: weights/<dataset>/seed<S>/split<k>.pt
and a table of mean ± std over the seeds.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace

from config import TrainConfig, dataset_specs
from engine.cli import add_common_arguments, check_common_arguments, load_dataset_and_splits, setup_logging
from engine.report import labels, training_table
from engine.seeds import seeds_table, spread_over_seeds
from engine.training import SplitTraining, train_split, trunk_init
from evaluation.protocol import mean_metrics
from models.backbone import BackboneInit, BackboneOrigin, BackboneWeightsUnavailable, build_googlenet, trunk_origin
from utils.errors import ProjectError
from utils.runtime import select_device

log = logging.getLogger("train")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help=f"epochs per split (default: {defaults.epochs})")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=defaults.seed, help=f"random seed, applied at the start of every split (default: {defaults.seed})")
    seeds.add_argument(
        "--seeds", type=int, nargs="+", metavar="S",
        help="train every split once per seed; with more than one seed the weights go to <dataset>/seed<S>/split<k>.pt "
        "and a mean ± std table over the seeds is printed (the paper reports ten runs)",
    )
    parser.add_argument("--random-init", action="store_true", help="start the GoogLeNet trunk from random weights instead of ImageNet (not the paper's setting)")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging()
    seeds = list(dict.fromkeys(args.seeds or [args.seed]))
    several = len(seeds) > 1
    train_cfg = TrainConfig(epochs=args.epochs, seed=seeds[0], imagenet_init=not args.random_init)
    try:
        device = select_device(args.device)
        jobs = [(spec, *load_dataset_and_splits(spec, args, need_train=True)) for spec in dataset_specs(args.dataset)]
        if train_cfg.imagenet_init:
            build_googlenet(BackboneInit.IMAGENET)  # fail now, not after the first dataset
    except BackboneWeightsUnavailable as error:
        log.error("error: %s\nOr train from a randomly initialised trunk with --random-init (not the paper's setting).", error)
        return 2
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2

    origin = trunk_origin(trunk_init(train_cfg))
    stand_in = origin is BackboneOrigin.STAND_IN
    log.info("device: %s | epochs: %d | seed(s): %s | trunk: %s", device, train_cfg.epochs, " ".join(map(str, seeds)), origin.description)
    results: dict[int, list[SplitTraining]] = {}
    synthetic: dict[str, bool] = {}
    for seed in seeds:
        seed_cfg = replace(train_cfg, seed=seed)
        results[seed] = []
        for spec, benchmark, splits in jobs:
            synthetic[spec.name] = benchmark.synthetic
            label = " (SYNTHETIC data)" if benchmark.synthetic else ""
            log.info("%s%s: %d videos from %s; training %d split(s), seed %d",
                     spec.name, label, len(benchmark.videos), benchmark.h5_path, len(splits), seed)
            for split in splits:
                result = train_split(benchmark, split, seed_cfg, device, args.weights_dir, seed_folder=several)
                log.info("%s split %d: kept epoch %d -> %s", spec.name, split.number, result.best_epoch, result.weights_path)
                results[seed].append(result)
        title = f"Test metrics of the kept epochs (seed {seed})" if several else "Test metrics of the kept epochs"
        log.info("\n%s:\n%s", title, training_table(results[seed], synthetic, stand_in))
    if several:
        spreads = [
            spread_over_seeds(spec.name, {seed: mean_metrics([r.metrics for r in runs if r.dataset == spec.name]) for seed, runs in results.items()})
            for spec, _, _ in jobs
        ]
        log.info("\nMean over splits, then mean ± std over %d seeds:\n%s", len(seeds), seeds_table(spreads, labels(any(synthetic.values()), stand_in).strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
