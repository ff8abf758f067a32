"""Train CSTA on SumMe and/or TVSum, split by split, with the paper's protocol.

Writes weights/<dataset>/split<k>.pt (the released layout) and a JSON record beside each.
"""

from __future__ import annotations

import argparse
import logging
import sys

from config import TrainConfig, dataset_specs, select_device
from dataset.errors import DataError
from engine.cli import add_common_arguments, check_common_arguments, load_dataset_and_splits, setup_logging
from engine.reporting import training_table
from engine.training import backbone_description, train_split
from models.backbone import BackboneInit, BackboneWeightsUnavailable, build_googlenet

log = logging.getLogger("train")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help=f"epochs per split (default: {defaults.epochs})")
    parser.add_argument("--seed", type=int, default=defaults.seed, help=f"random seed, applied at the start of every split (default: {defaults.seed})")
    parser.add_argument("--random-init", action="store_true", help="start the GoogLeNet trunk from random weights instead of ImageNet (not the paper's setting)")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging()
    train_cfg = TrainConfig(epochs=args.epochs, seed=args.seed, imagenet_init=not args.random_init)
    try:
        device = select_device(args.device)
        jobs = [(spec, *load_dataset_and_splits(spec, args, need_train=True)) for spec in dataset_specs(args.dataset)]
        if train_cfg.imagenet_init:
            build_googlenet(BackboneInit.IMAGENET)  # fail now, not after the first dataset
    except (DataError, BackboneWeightsUnavailable, FileNotFoundError, RuntimeError) as error:
        log.error("error: %s", error)
        return 2

    log.info("device: %s | epochs: %d | seed: %d | trunk: %s", device, train_cfg.epochs, train_cfg.seed, backbone_description(train_cfg))
    results, synthetic = [], {}
    for spec, benchmark, splits in jobs:
        synthetic[spec.name] = benchmark.synthetic
        label = " (SYNTHETIC data)" if benchmark.synthetic else ""
        log.info("%s%s: %d videos from %s; training %d split(s)", spec.name, label, len(benchmark.videos), benchmark.h5_path, len(splits))
        for split in splits:
            result = train_split(benchmark, split, train_cfg, device, args.weights_dir)
            log.info("%s split %d: kept epoch %d -> %s", spec.name, split.number, result.best_epoch, result.weights_path)
            results.append(result)
    log.info("\nTest metrics of the kept epochs:\n%s", training_table(results, synthetic, "STAND-IN" in backbone_description(train_cfg)))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
