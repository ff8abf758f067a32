"""The data of a run (sources/folds.py), read from the command line's typed request (cli/options.data_request)."""

import argparse
from pathlib import Path

import pytest

import inference
import train
from cli.options import data_request
from config import DATASETS, SPLITS_DIR, F1Reduction
from sources import DataRequest, sources_for
from sources.folds import input_files, load_dataset_and_splits, open_run_data, splits_path


def load_run_data(args: argparse.Namespace, need_train: bool, folds_seed: int | None = None):
    """What train.py and inference.py read for their command line."""
    return open_run_data(sources_for(args.dataset), data_request(args), need_train, folds_seed)


def test_the_inputs_are_every_file_read(tiny_data_dir, tiny_splits):
    args = DataRequest(tiny_data_dir, Path("weights"), split=(2,), splits_file=tiny_splits["TVSum"])
    benchmark, splits = load_dataset_and_splits(DATASETS["TVSum"], args, need_train=True)
    assert [split.number for split in splits] == [2]
    assert input_files(benchmark, args) == [tiny_data_dir / "eccv16_dataset_tvsum_google_pool5.h5", tiny_splits["TVSum"],
                                            tiny_data_dir / "ydata-anno.tsv"]


def test_a_set_of_splits_by_name(tiny_data_dir):
    args = DataRequest(tiny_data_dir, Path("weights"), splits="pgl-sum")
    assert splits_path(DATASETS["SumMe"], args) == SPLITS_DIR / "apostolidis" / "SumMe.json"
    assert splits_path(DATASETS["SumMe"], DataRequest(tiny_data_dir, Path("weights"), splits="csta")) == SPLITS_DIR / "SumMe.json"
    assert splits_path(DATASETS["SumMe"], data_request(argparse.Namespace(dataset="SumMe"))) == SPLITS_DIR / "SumMe.json"


@pytest.mark.parametrize("script", [inference, train])
def test_splits_by_name_on_the_command_line(script, capsys):
    args = script.parse_args(["--splits", "ca-sum", "--data-dir", "x"])
    assert args.splits == "ca-sum" and args.splits_file is None
    with pytest.raises(SystemExit):
        script.parse_args(["--splits", "ca-sum", "--splits-file", "s.json", "--dataset", "SumMe"])
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        script.parse_args(["--splits", "tvsum"])
    assert "invalid choice: 'tvsum' (choose from 'csta', 'pgl-sum', 'ca-sum')" in capsys.readouterr().err


def custom_args(h5, weights_dir, **extra):
    return argparse.Namespace(**{"dataset": "custom", "h5": h5, "f1": None, "splits_file": None, "split": None, "weights_dir": weights_dir,
                                 **extra})


@pytest.fixture
def built(tmp_path):
    from dataset.custom import LabelKind
    from tests.builder.helpers import make_part, write_built

    return write_built(tmp_path / "clips.h5", LabelKind.SEGMENTS, [make_part(f"c{i}.mp4", n_frames=240, cuts=(30, 70, 120, 160, 200), seed=i)
                                                                   for i in range(6)], origin="stand-in")


def test_a_built_data_set_makes_its_folds_once_and_reuses_them(built, tmp_path):
    from dataset.splits import read_splits

    weights = tmp_path / "weights"
    data = load_run_data(custom_args(built, weights), need_train=True, folds_seed=7)
    (spec, benchmark, splits), = data.jobs
    path = weights / "clips" / "splits_seed7.json"
    assert spec.name == "clips" and spec.f1_reduction is F1Reduction.MAX and benchmark.stand_in_features
    assert len(splits) == 5 and sorted(k for s in splits for k in s.test_keys) == sorted(benchmark.videos)  # each tested once
    assert data.inputs == [built] and list(data.new_splits) == [path] and not path.exists()  # written once the outputs are claimed
    assert data.write_new_splits() == [path] and read_splits(path) == splits
    again = load_run_data(custom_args(built, weights, split=[2]), need_train=True, folds_seed=7)
    assert again.new_splits == {} and again.inputs == [built, path] and again.jobs[0][2] == [splits[1]]
    other = load_run_data(custom_args(built, weights), need_train=True, folds_seed=8)  # another seed, other folds
    assert other.jobs[0][2] != splits
    read_back = load_run_data(custom_args(built, weights, f1="mean"), need_train=False)  # inference: the one file train.py wrote
    assert read_back.jobs[0][2] == splits and read_back.inputs == [built, path]
    assert read_back.jobs[0][0].f1_reduction is F1Reduction.MEAN


def test_inference_on_a_built_data_set_needs_the_folds(built, tmp_path):
    from dataset.custom import random_splits, write_splits
    from dataset.errors import DataError

    weights = tmp_path / "weights"
    with pytest.raises(DataError, match=r"no folds for .*clips.h5.*train first, or give the splits with --splits-file"):
        load_run_data(custom_args(built, weights), need_train=False)
    keys = [f"video_{i}" for i in range(1, 7)]
    for seed in (1, 2):
        write_splits(weights / "clips" / f"splits_seed{seed}.json", "clips", random_splits(keys, seed))
    with pytest.raises(DataError, match=r"several folds files \(splits_seed1.json, splits_seed2.json\).*--splits-file"):
        load_run_data(custom_args(built, weights), need_train=False)
    given = weights / "clips" / "splits_seed2.json"
    data = load_run_data(custom_args(built, weights, splits_file=given), need_train=False)
    assert data.inputs == [built, given] and data.jobs[0][2] == random_splits(keys, 2)


def test_a_built_data_set_may_not_take_a_benchmark_name(tmp_path):
    from dataset.custom import LabelKind
    from dataset.errors import DataError
    from tests.builder.helpers import make_part, write_built

    path = write_built(tmp_path / "tvsum.h5", LabelKind.SCORES, [make_part(f"c{i}.mp4", seed=i) for i in range(6)])
    with pytest.raises(DataError, match="share the benchmark's weights folder"):
        load_run_data(custom_args(path, tmp_path), need_train=True, folds_seed=1)


def test_the_benchmarks_go_through_the_same_function(tiny_data_dir, tiny_splits):
    args = argparse.Namespace(dataset="TVSum", splits_file=tiny_splits["TVSum"], split=None, data_dir=tiny_data_dir)
    data = load_run_data(args, need_train=True, folds_seed=1)
    assert [spec.name for spec, _, _ in data.jobs] == ["TVSum"] and data.new_splits == {}
    assert data.inputs == input_files(data.jobs[0][1], args)
