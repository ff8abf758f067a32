"""Benchmark data: the eccv16 h5 files, TVSum's annotations, the splits, and a synthetic stand-in."""

from dataset.benchmark import Benchmark, load_benchmark
from dataset.errors import DataError
from dataset.h5 import VideoRecord, read_eccv16
from dataset.splits import Split, check_splits, read_splits, select_splits

__all__ = [
    "Benchmark",
    "DataError",
    "Split",
    "VideoRecord",
    "check_splits",
    "load_benchmark",
    "read_eccv16",
    "read_splits",
    "select_splits",
]
