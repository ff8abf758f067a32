"""What the k-fold sources read for a typed request (sources/eccv16.py, sources/custom.py): the same data
and input files as sources/folds.py's functions, with no argparse Namespace."""

from pathlib import Path

from config import F1Reduction
from sources import DataRequest, source_for
from sources.custom import custom_splits_path
from sources.folds import input_files, load_dataset_and_splits


def test_a_benchmark_reads_its_file_and_the_chosen_splits(tiny_data_dir, tiny_splits):
    request = DataRequest(tiny_data_dir, Path("weights"), split=(2,), splits_file=tiny_splits["TVSum"])
    data = source_for("TVSum").open_folds(request, need_train=True)
    ((spec, benchmark, splits),) = data.jobs
    expected, expected_splits = load_dataset_and_splits(spec, request, need_train=True)
    assert spec.name == "TVSum" and [split.number for split in splits] == [2] == [split.number for split in expected_splits]
    assert sorted(benchmark.videos) == sorted(expected.videos)
    assert data.inputs == input_files(benchmark, request) and data.new_splits == {}


def test_a_built_data_set_reads_its_file_from_its_own_flags(tmp_path):
    from dataset.custom import LabelKind
    from tests.builder.helpers import make_part, write_built

    h5 = write_built(tmp_path / "clips.h5", LabelKind.SEGMENTS, [make_part(f"c{i}.mp4", n_frames=240, cuts=(30, 70, 120, 160, 200), seed=i)
                                                             for i in range(6)], origin="stand-in")
    request = DataRequest(tmp_path, tmp_path / "w", options={"h5": h5, "f1": "mean"})
    source = source_for("custom")
    data = source.open_folds(request, need_train=True, folds_seed=3)
    ((spec, _, splits),) = data.jobs
    assert spec.name == "clips" and spec.f1_reduction is F1Reduction.MEAN and len(splits) == 5
    assert list(data.new_splits) == [custom_splits_path(tmp_path / "w", "clips", 3)] and data.inputs == [h5]
    assert source.worker_file(request) == h5 and source_for("SumMe").worker_file(request) is None
