"""A data set build_dataset.py wrote from one's own videos and labels (--dataset custom --h5 PATH).

Its videos are read into memory like SumMe's and TVSum's (dataset/custom.py); its folds are
--splits-file, else five random folds from the training seed, written beside the weights
(<weights-dir>/<stem>/splits_seed<S>.json) by train.py and read back by inference.py. Its protocol
follows its labels: segment labels are scored as SumMe (F1 max over users, tau and rho against the
mean user summary), score labels as TVSum (F1 mean, tau and rho against each annotator), unless --f1
says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import DATASETS, F1Reduction
from sources.source import DataRequest, DataSource, SourceFlag, SplitScheme

if TYPE_CHECKING:  # numpy and h5py: only once a run reads its data
    from sources.folds import RunData

CUSTOM = "custom"  # the --dataset value
FOLDS_PATTERN = "splits_seed*.json"  # the random folds train.py writes beside a built data set's weights

H5_FLAG = SourceFlag(
    "--h5", "h5", value=Path, metavar="PATH",
    help="with --dataset custom: the h5 file build_dataset.py wrote (with --labels); its stem names the weights "
    "folder (<weights-dir>/<stem>/split<k>.pt). Splits: --splits-file, else five random folds from the seed, "
    "written by train.py to <weights-dir>/<stem>/splits_seed<S>.json and reused from there",
    misuse="--h5 names a data set built by build_dataset.py: use it with --dataset custom, not --dataset {dataset}",
)
F1_FLAG = SourceFlag(
    "--f1", "f1", choices=tuple(reduction.value for reduction in F1Reduction),
    help="with --dataset custom: F1 over annotators (default: max for segment labels as on SumMe, "
    "mean for score labels as on TVSum)",
    misuse="--f1 chooses the F1 convention of a built data set: use it with --dataset custom "
    "(SumMe and TVSum keep their own protocols)",
)


def custom_splits_path(weights_dir: Path, dataset: str, seed: int) -> Path:
    """Where train.py writes the random folds of a built data set (beside its weights)."""
    return Path(weights_dir) / dataset / f"splits_seed{seed}.json"


@dataclass(frozen=True)
class CustomSource(DataSource):
    """--dataset custom: its file is --h5, its F1 rule --f1 or its labels' (see the module docstring)."""

    def refusal(self, given: Mapping[str, Any]) -> str | None:
        if given.get("h5") is None:
            return "--dataset custom reads a file build_dataset.py wrote: give it with --h5 PATH"
        if given.get("splits", "csta") != "csta":
            return (f"--splits {given['splits']} names splits of SumMe and TVSum; a built data set takes --splits-file FILE, "
                    "or five random folds from the seed")
        return None

    def worker_file(self, request: DataRequest) -> Path | None:
        return request.options["h5"]

    def folds_beside_weights(self, request: DataRequest) -> bool:
        return request.splits_file is None  # train.py wrote them beside the weights (written_folds)

    def open_folds(self, request: DataRequest, need_train: bool, folds_seed: int | None = None) -> RunData:
        """The built file, its chosen folds and the files read.

        Args:
            folds_seed: train.py's seed for the random folds when no --splits-file is given (folds
                already written for that seed are reused). None (inference.py): read the folds
                train.py wrote beside the weights, which must be one file.
        """
        from dataset.custom import custom_benchmark, random_splits
        from dataset.errors import DataError
        from dataset.splits import Split, check_splits, read_splits, select_splits
        from sources.folds import RunData

        h5, f1 = request.options["h5"], request.options.get("f1")
        if not Path(h5).is_file():  # h5py's own text is an errno and flags
            raise DataError(f"--h5 {h5}: no such file (give the file build_dataset.py wrote)")
        benchmark, _ = custom_benchmark(h5, F1Reduction(f1) if f1 else None)
        spec = benchmark.spec
        if spec.name.lower() in {name.lower() for name in DATASETS}:
            raise DataError(f"{h5}: a built data set named {spec.name} would share the benchmark's weights folder "
                            f"({request.weights_dir / spec.name}); rename the file")
        keys = list(benchmark.videos)
        new_splits: dict[Path, tuple[str, list[Split]]] = {}
        if request.splits_file is not None:
            path = request.splits_file
            every = read_splits(path, spec)
        elif folds_seed is not None:
            path = custom_splits_path(request.weights_dir, spec.name, folds_seed)
            if path.is_file():
                every = read_splits(path, spec)
            else:
                every = random_splits(keys, folds_seed)
                new_splits[path] = (spec.name, every)
        else:
            path = written_folds(request.weights_dir, spec.name, h5)
            every = read_splits(path, spec)
        splits = select_splits(every, request.split, path)
        check_splits(splits, benchmark.videos, path, benchmark.h5_path, need_train)
        inputs = [benchmark.h5_path] + ([] if path in new_splits else [path])
        return RunData([(spec, benchmark, splits)], inputs, new_splits)


def written_folds(weights_dir: Path, dataset: str, h5: Path) -> Path:
    """The one folds file train.py wrote for a built data set (inference.py has no seed to choose among several)."""
    from dataset.errors import DataError

    folder = Path(weights_dir) / dataset
    found = sorted(folder.glob(FOLDS_PATTERN))
    if len(found) == 1:
        return found[0]
    if not found:
        raise DataError(f"no folds for {h5} in {folder}/ ({FOLDS_PATTERN}, written by train.py --dataset custom): "
                        "train first, or give the splits with --splits-file")
    raise DataError(f"{folder}/ holds several folds files ({', '.join(path.name for path in found)}): "
                    "choose the one the weights were trained on with --splits-file")


CUSTOM_SOURCE = CustomSource(
    name=CUSTOM, scheme=SplitScheme.FOLDS, opt_in=True, choice_help="a file build_dataset.py wrote, given with --h5",
    flags=(H5_FLAG, F1_FLAG), flag_group="own data (--dataset custom)", report_rows=("Random", "Human"),
    protocol="eccv16 on the built file: F1 max (segment labels) or mean (score labels) unless --f1, tau and rho as SumMe or TVSum",
    synthetic=None,  # build_dataset.py over cli.synthetic_video's clips makes one (tests/builder/helpers.write_built)
)
