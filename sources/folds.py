"""Reading a k-fold data set (SumMe, TVSum, a built one): the data, the chosen folds and the files read.

numpy and h5py (through dataset/), no torch: the commands read and check every input before they
load a network. The sources with k folds in memory (sources/eccv16.py, sources/custom.py) answer
``open_folds`` with a RunData; ``open_run_data`` joins the answers of every source --dataset names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config import DatasetSpec
from dataset.benchmark import Benchmark, load_benchmark
from dataset.custom import write_splits
from dataset.splits import Split, check_splits, read_splits, select_splits
from sources.source import DataRequest, DataSource


def splits_path(spec: DatasetSpec, request: DataRequest) -> Path:
    """The splits file a run reads for one dataset: --splits-file, else the --splits set's (default CSTA's)."""
    return request.splits_file or spec.splits_path(request.splits)


def load_dataset_and_splits(spec: DatasetSpec, request: DataRequest, need_train: bool) -> tuple[Benchmark, list[Split]]:
    """Read and check the data and the chosen splits before any work starts."""
    path = splits_path(spec, request)
    splits = select_splits(read_splits(path, spec), request.split, path)
    benchmark = load_benchmark(spec, request.data_dir)
    check_splits(splits, benchmark.videos, path, benchmark.h5_path, need_train)
    return benchmark, splits


def input_files(benchmark: Benchmark, request: DataRequest) -> list[Path]:
    """The files a run reads for one dataset, which no output may replace."""
    files = [benchmark.h5_path, splits_path(benchmark.spec, request)]
    return files + ([benchmark.annotation_path] if benchmark.annotation_path else [])


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


def open_run_data(chosen: list[DataSource], request: DataRequest, need_train: bool, folds_seed: int | None = None) -> RunData:
    """The data sets of ``chosen`` (sources_for(--dataset)), their splits and input files, read and checked.

    Args:
        folds_seed: train.py's seed for the random folds of a built data set when no --splits-file
            is given (folds already written for that seed are reused). None (inference.py): read the
            folds train.py wrote beside the weights, which must be one file.
    """
    every = [source.open_folds(request, need_train, folds_seed) for source in chosen]
    return RunData([job for data in every for job in data.jobs], [path for data in every for path in data.inputs],
                   {path: folds for data in every for path, folds in data.new_splits.items()})
