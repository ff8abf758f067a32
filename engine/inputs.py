"""The data of a run, read and checked before any work starts (numpy and h5py, no torch): the benchmarks,
or a data set built by build_dataset.py (--dataset custom --h5 PATH) with its folds."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from config import DATASETS, DatasetSpec, F1Reduction, dataset_specs
from dataset.benchmark import Benchmark, load_benchmark
from dataset.custom import custom_benchmark, random_splits, write_splits
from dataset.errors import DataError
from dataset.splits import Split, check_splits, read_splits, select_splits
from engine.cli import CUSTOM


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


CUSTOM_FOLDS_PATTERN = "splits_seed*.json"


@dataclass
class RunData:
    """Every dataset a run uses, with its splits, read and checked before any work starts.

    ``new_splits`` holds the random folds made for a built data set on this run: train.py claims
    their file as an output and writes it (``write_new_splits``) once every output is known to be
    writable, so the next run (and inference.py) reuses the same folds.
    """

    jobs: list[tuple[DatasetSpec, Benchmark, list[Split]]]
    inputs: list[Path]  # every file read, which no output may replace
    new_splits: dict[Path, tuple[str, list[Split]]] = field(default_factory=dict)

    def write_new_splits(self) -> list[Path]:
        for path, (dataset, splits) in self.new_splits.items():
            write_splits(path, dataset, splits)
        return list(self.new_splits)


def custom_splits_path(weights_dir: Path, dataset: str, seed: int) -> Path:
    """Where train.py writes the random folds of a built data set (beside its weights)."""
    return Path(weights_dir) / dataset / f"splits_seed{seed}.json"


def load_run_data(args: argparse.Namespace, need_train: bool, folds_seed: int | None = None) -> RunData:
    """The datasets --dataset names (a built one: --dataset custom --h5 PATH), their splits and input files.

    Args:
        folds_seed: train.py's seed for the random folds of a built data set when no --splits-file
            is given (folds already written for that seed are reused). None (inference.py): read the
            folds train.py wrote beside the weights, which must be one file.
    """
    if args.dataset != CUSTOM:
        jobs = [(spec, *load_dataset_and_splits(spec, args, need_train)) for spec in dataset_specs(args.dataset)]
        return RunData(jobs, [path for _, benchmark, _ in jobs for path in input_files(benchmark, args)])
    benchmark, _ = custom_benchmark(args.h5, F1Reduction(args.f1) if args.f1 else None)
    spec = benchmark.spec
    if spec.name.lower() in {name.lower() for name in DATASETS}:
        raise DataError(f"{args.h5}: a built data set named {spec.name} would share the benchmark's weights folder "
                        f"({args.weights_dir / spec.name}); rename the file")
    keys = list(benchmark.videos)
    new_splits: dict[Path, tuple[str, list[Split]]] = {}
    if args.splits_file is not None:
        path = args.splits_file
        every = read_splits(path, spec)
    elif folds_seed is not None:
        path = custom_splits_path(args.weights_dir, spec.name, folds_seed)
        if path.is_file():
            every = read_splits(path, spec)
        else:
            every = random_splits(keys, folds_seed)
            new_splits[path] = (spec.name, every)
    else:
        path = _written_folds(args.weights_dir, spec.name, args.h5)
        every = read_splits(path, spec)
    splits = select_splits(every, args.split, path)
    check_splits(splits, benchmark.videos, path, benchmark.h5_path, need_train)
    inputs = [benchmark.h5_path] + ([] if path in new_splits else [path])
    return RunData([(spec, benchmark, splits)], inputs, new_splits)


def _written_folds(weights_dir: Path, dataset: str, h5: Path) -> Path:
    """The one folds file train.py wrote for a built data set (inference.py has no seed to choose among several)."""
    folder = Path(weights_dir) / dataset
    found = sorted(folder.glob(CUSTOM_FOLDS_PATTERN))
    if len(found) == 1:
        return found[0]
    if not found:
        raise DataError(f"no folds for {h5} in {folder}/ ({CUSTOM_FOLDS_PATTERN}, written by train.py --dataset custom): "
                        "train first, or give the splits with --splits-file")
    raise DataError(f"{folder}/ holds several folds files ({', '.join(path.name for path in found)}): "
                    "choose the one the weights were trained on with --splits-file")
