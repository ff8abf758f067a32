"""The data of a run, read and checked before any work starts (numpy and h5py, no torch)."""

from __future__ import annotations

import argparse
from pathlib import Path

from config import DatasetSpec
from dataset.benchmark import Benchmark, load_benchmark
from dataset.splits import Split, check_splits, read_splits, select_splits


def splits_path(spec: DatasetSpec, args: argparse.Namespace) -> Path:
    """The splits file a run reads for one dataset: --splits-file, else the --splits set's (default CSTA's)."""
    return args.splits_file or spec.splits_path(getattr(args, "splits", "csta"))


def load_dataset_and_splits(spec: DatasetSpec, args: argparse.Namespace, need_train: bool) -> tuple[Benchmark, list[Split]]:
    """Read and check the data and the chosen splits before any work starts."""
    path = splits_path(spec, args)
    splits = select_splits(read_splits(path, spec), args.split, path)
    benchmark = load_benchmark(spec, args.data_dir)
    check_splits(splits, benchmark.videos, path, benchmark.h5_path, need_train)
    return benchmark, splits


def input_files(benchmark: Benchmark, args: argparse.Namespace) -> list[Path]:
    """The files a run reads for one dataset, which no output may replace."""
    files = [benchmark.h5_path, splits_path(benchmark.spec, args)]
    return files + ([benchmark.annotation_path] if benchmark.annotation_path else [])
