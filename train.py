"""Train CSTA on SumMe and/or TVSum, split by split, with the paper's protocol.

Writes weights/<dataset>/split<k>.pt (the released layout), with a JSON record and the training
curve (split<k>_curve.png) beside each. With several --seeds: weights/<dataset>/seed<S>/split<k>.pt
and a table of mean ± std over the seeds.

Every run keeps a checkpoint in split<k>.run/ beside its weights after each epoch: the same command
run again continues a killed run and skips a finished one (--restart starts over). Under
``torchrun --nproc_per_node N train.py ...`` the N processes train each model together
(DistributedDataParallel: N videos per optimiser step), and rank 0 writes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from config import TrainConfig, dataset_specs
from engine.cli import POSITIVE, SEED, add_common_arguments, add_resume_arguments, check_common_arguments, setup_logging
from engine.launch import Launch, current_launch
from engine.layout import training_outputs, weights_path_for
from engine.outputs import ClaimedOutputs, Fallback, claim_outputs
from utils.errors import ProjectError

if TYPE_CHECKING:  # torch is imported only once the run is known to be possible
    import torch

log = logging.getLogger("train")


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--epochs", type=POSITIVE, default=defaults.epochs, help=f"epochs per split, from 1 (default: {defaults.epochs})")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=SEED, default=defaults.seed,
                       help=f"random seed (0 to 2**32-1), applied at the start of every split (default: {defaults.seed})")
    seeds.add_argument(
        "--seeds", type=SEED, nargs="+", metavar="S",
        help="train every split once per seed; with more than one seed the weights go to <dataset>/seed<S>/split<k>.pt "
        "and a mean ± std table over the seeds is printed (the paper reports ten runs)",
    )
    parser.add_argument("--random-init", action="store_true", help="start the GoogLeNet trunk from random weights instead of ImageNet (not the paper's setting)")
    add_resume_arguments(parser)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    return args


def main(args: argparse.Namespace) -> int:
    """Check the data and every output, then train (torch is imported only then).

    Returns:
        0 when every output is where it was asked for; 1 when some had to be kept elsewhere (the
        disk filled during the run: the log says where); 2 when the run was refused (a message names why).
    """
    setup_logging()
    seeds = list(dict.fromkeys(args.seeds or [args.seed]))
    several = len(seeds) > 1
    try:
        launch = current_launch()  # under torchrun only rank 0 claims, locks and writes the outputs
        if not launch.is_main:
            logging.getLogger().setLevel(logging.WARNING)
        from engine.inputs import input_files, load_dataset_and_splits  # numpy and h5py, not yet torch

        jobs = [(spec, *load_dataset_and_splits(spec, args, need_train=True)) for spec in dataset_specs(args.dataset)]
        weights = [weights_path_for(args.weights_dir, spec.name, split.number, seed if several else None)
                   for seed in seeds for spec, _, splits in jobs for split in splits]
        claim = claim_outputs([path for w in weights for path in training_outputs(w)],
                              inputs=[path for _, benchmark, _ in jobs for path in input_files(benchmark, args)],
                              lock=weights) if launch.is_main else ClaimedOutputs()
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 2
    with claim:
        try:
            return _train(args, jobs, seeds, claim.fallback, launch)
        except (ProjectError, OSError) as error:
            log.error("error: %s", error)
            return 2


def _train(args: argparse.Namespace, jobs: list, seeds: list[int], fallback: Fallback, launch: Launch) -> int:
    """The work, once the inputs are read and every output is known to be writable."""
    from engine import distributed

    device = distributed.start(launch, args.device)  # joins torchrun's process group, if any
    try:
        return _train_runs(args, jobs, seeds, fallback, device)
    finally:
        distributed.stop()


def _train_runs(args: argparse.Namespace, jobs: list, seeds: list[int], fallback: Fallback, device: torch.device) -> int:
    from dataclasses import replace

    from engine.report import labels, training_table
    from engine.seeds import seeds_table, spread_over_seeds
    from engine.training import SplitTraining, train_split, trunk_init
    from evaluation.protocol import mean_metrics
    from models.backbone import BackboneInit, BackboneOrigin, BackboneWeightsUnavailable, build_googlenet, trunk_origin

    several = len(seeds) > 1
    train_cfg = TrainConfig(epochs=args.epochs, seed=seeds[0], imagenet_init=not args.random_init)
    if train_cfg.imagenet_init:
        try:
            build_googlenet(BackboneInit.IMAGENET)  # fail now, not after the first dataset
        except BackboneWeightsUnavailable as error:
            log.error("error: %s\nOr train from a randomly initialised trunk with --random-init (not the paper's setting).", error)
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
                result = train_split(benchmark, split, seed_cfg, device, args.weights_dir, seed_folder=several, fallback=fallback,
                                     resume=args.resume)
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
    if fallback.kept:
        log.warning("\n%d file(s) could not be written where asked and were kept elsewhere (move them where they belong):\n%s",
                    len(fallback.kept), fallback.summary())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
