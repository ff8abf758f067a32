"""Command-line pieces shared by train.py and inference.py."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from config import DATASETS, DEFAULT_DATA_DIR, DEFAULT_WEIGHTS_DIR, DatasetSpec
from dataset.benchmark import Benchmark, load_benchmark
from dataset.splits import Split, check_splits, read_splits, select_splits


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="all", help="dataset(s) to use (default: all)")
    parser.add_argument("--split", type=int, nargs="+", metavar="K", help="split number(s), from 1 (default: every split)")
    parser.add_argument("--device", help="torch device, e.g. cpu or cuda:0 (default: CUDA when available, else CPU)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=f"folder with the eccv16 h5 files and ydata-anno.tsv (default: {DEFAULT_DATA_DIR})")
    parser.add_argument("--weights-dir", type=Path, default=DEFAULT_WEIGHTS_DIR, help=f"folder of <dataset>/split<k>.pt files (default: {DEFAULT_WEIGHTS_DIR})")
    parser.add_argument(
        "--splits-file", type=Path,
        help="another splits file: this project's JSON, PGL-SUM JSON (train_keys/test_keys) or the reference's text; "
        "needs a single --dataset (default: the official splits in dataset/splits/)",
    )


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.splits_file is not None and args.dataset == "all":
        parser.error("--splits-file describes one dataset's videos: choose it with --dataset SumMe or --dataset TVSum")
    if args.split and any(k < 1 for k in args.split):
        parser.error("--split numbers count from 1")


def load_dataset_and_splits(spec: DatasetSpec, args: argparse.Namespace, need_train: bool) -> tuple[Benchmark, list[Split]]:
    """Read and check the data and the chosen splits before any work starts."""
    splits_path = args.splits_file or spec.splits_path()
    splits = select_splits(read_splits(splits_path, spec), args.split, splits_path)
    benchmark = load_benchmark(spec, args.data_dir)
    check_splits(splits, benchmark.videos, splits_path, benchmark.h5_path, need_train)
    return benchmark, splits


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
