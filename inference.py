"""Evaluate CSTA weights (released or trained) with the benchmark protocol.

For every split with a weights file: F1, Kendall tau and Spearman rho on its test videos, then the
mean over splits.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from config import dataset_specs, select_device
from dataset.errors import DataError
from engine.cli import add_common_arguments, check_common_arguments, load_dataset_and_splits, setup_logging
from engine.inference import evaluate_weights
from engine.reporting import evaluation_json, evaluation_table
from models.checkpoint import CheckpointMismatch
from utils import write_json_atomic

log = logging.getLogger("inference")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the table as JSON to PATH")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    return args


def main(args: argparse.Namespace) -> int:
    setup_logging()
    try:
        device = select_device(args.device)
        jobs = [load_dataset_and_splits(spec, args, need_train=False) for spec in dataset_specs(args.dataset)]
        results = []
        for benchmark, splits in jobs:
            result = evaluate_weights(benchmark, splits, args.weights_dir, device, require_all=bool(args.split))
            log.info("%s\n", evaluation_table(result))
            results.append(result)
    except (DataError, CheckpointMismatch, FileNotFoundError, RuntimeError) as error:
        log.error("error: %s", error)
        return 2
    if args.json:
        write_json_atomic(args.json, evaluation_json(results))
        log.info("wrote %s", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
