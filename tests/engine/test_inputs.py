"""The data of a run (engine/inputs.py)."""

import argparse

from config import DATASETS
from engine.inputs import input_files, load_dataset_and_splits


def test_the_inputs_are_every_file_read(tiny_data_dir, tiny_splits):
    args = argparse.Namespace(splits_file=tiny_splits["TVSum"], split=[2], data_dir=tiny_data_dir)
    benchmark, splits = load_dataset_and_splits(DATASETS["TVSum"], args, need_train=True)
    assert [split.number for split in splits] == [2]
    assert input_files(benchmark, args) == [tiny_data_dir / "eccv16_dataset_tvsum_google_pool5.h5", tiny_splits["TVSum"],
                                            tiny_data_dir / "ydata-anno.tsv"]
