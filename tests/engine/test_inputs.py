"""The data of a run (engine/inputs.py)."""

import argparse

import pytest

import inference
import train
from config import DATASETS, SPLITS_DIR
from engine.inputs import input_files, load_dataset_and_splits, splits_path


def test_the_inputs_are_every_file_read(tiny_data_dir, tiny_splits):
    args = argparse.Namespace(splits_file=tiny_splits["TVSum"], split=[2], data_dir=tiny_data_dir)
    benchmark, splits = load_dataset_and_splits(DATASETS["TVSum"], args, need_train=True)
    assert [split.number for split in splits] == [2]
    assert input_files(benchmark, args) == [tiny_data_dir / "eccv16_dataset_tvsum_google_pool5.h5", tiny_splits["TVSum"],
                                            tiny_data_dir / "ydata-anno.tsv"]


def test_a_set_of_splits_by_name(tiny_data_dir):
    args = argparse.Namespace(splits_file=None, splits="pgl-sum", split=None, data_dir=tiny_data_dir)
    assert splits_path(DATASETS["SumMe"], args) == SPLITS_DIR / "apostolidis" / "SumMe.json"
    args.splits = "csta"
    assert splits_path(DATASETS["SumMe"], args) == SPLITS_DIR / "SumMe.json"
    assert splits_path(DATASETS["SumMe"], argparse.Namespace(splits_file=None)) == SPLITS_DIR / "SumMe.json"


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
