"""SumMe and TVSum as the commands see them: the eccv16 h5 files, k train/test folds held in memory,
and the protocol of config.DatasetSpec (F1 over users by max or mean, tau and rho against the mean
user summary or each annotator).

The reading itself is dataset/benchmark.py's; the splits are the --splits set's (dataset/splits/),
or --splits-file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import DATASETS, DatasetSpec
from sources.source import DataRequest, DataSource, SplitScheme

if TYPE_CHECKING:  # numpy and h5py: only once a run reads its data
    from sources.folds import RunData

ECCV16_REPORT_ROWS = ("Random", "Human")  # evaluation/baselines.py, on the same test videos
SYNTHETIC_ECCV16 = "dataset.synthetic:write_synthetic_benchmark"


@dataclass(frozen=True)
class Eccv16Source(DataSource):
    """One of the two eccv16 benchmarks; ``spec`` holds what its protocol needs (config.DATASETS)."""

    spec: DatasetSpec | None = None

    def open_folds(self, request: DataRequest, need_train: bool, folds_seed: int | None = None) -> RunData:
        """The benchmark and its chosen splits, read and checked; ``folds_seed`` is for built data sets only."""
        from sources.folds import RunData, input_files, load_dataset_and_splits

        benchmark, splits = load_dataset_and_splits(self.spec, request, need_train)
        return RunData([(self.spec, benchmark, splits)], input_files(benchmark, request))


def eccv16_source(spec: DatasetSpec) -> Eccv16Source:
    reduction = spec.f1_reduction.value
    return Eccv16Source(
        name=spec.name, scheme=SplitScheme.FOLDS, in_all=True, spec=spec, report_rows=ECCV16_REPORT_ROWS, synthetic=SYNTHETIC_ECCV16,
        protocol=f"eccv16: knapsack summary at 15%, F1 {reduction} over users, tau and rho vs {spec.correlation_target.value}",
    )


SUMME = eccv16_source(DATASETS["SumMe"])
TVSUM = eccv16_source(DATASETS["TVSum"])
