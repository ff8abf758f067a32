"""A damaged or unreadable Mr.HiSum/MoSu file is a DataError naming it and the object that failed (dataset/h5_file.py),
both when a split is checked and when a worker streams a video; the readers stay lazy."""

import pickle
import shutil

import h5py
import pytest

from dataset.errors import DataError
from dataset.replay import ReplayDataset, ReplaySplit, open_replay_split, read_split_file
from sources.mosu import mosu_files
from sources.mrhisum import mrhisum_files


def _copy(replay_sets, name, tmp_path, files_of):
    folder = shutil.copytree(replay_sets[name], tmp_path / name)
    return files_of(folder, {})


def _zero_object(path, name):
    """Overwrite the object header of ``name`` with zeros (as a bad disk or copy leaves it); the file keeps its size."""
    with h5py.File(path, "r") as h5:
        address = h5py.h5o.get_info(h5[name].id).addr
    data = bytearray(path.read_bytes())
    data[address:address + 64] = bytes(64)
    path.write_bytes(bytes(data))


def _train(files):
    return open_replay_split(files, ReplaySplit.TRAIN, read_split_file(files)[ReplaySplit.TRAIN])


@pytest.mark.parametrize("field", ["gtscore", "change_points", "features"])
def test_a_damaged_field_of_mr_hisum_h5_is_named_when_the_split_is_checked(replay_sets, tmp_path, field):
    files = _copy(replay_sets, "mrhisum", tmp_path, mrhisum_files)
    key = read_split_file(files)[ReplaySplit.TRAIN][1]
    _zero_object(files.labels, f"{key}/{field}")
    with pytest.raises(DataError, match=f"cannot read {key}/{field}.*damaged or not in the Mr.HiSum \\(mrhisum\\) layout") as error:
        _train(files)
    assert str(files.labels) in str(error.value)


def test_a_file_that_is_not_hdf5_is_named(replay_sets, tmp_path):
    files = _copy(replay_sets, "mosu", tmp_path, mosu_files)
    files.features.write_bytes(b"not an h5 file" * 100)
    with pytest.raises(DataError, match="cannot be read as an HDF5 file") as error:
        _train(files)
    assert str(files.features) in str(error.value)


def test_a_video_damaged_after_the_check_is_named_by_the_worker_that_reads_it(replay_sets, tmp_path):
    files = _copy(replay_sets, "mosu", tmp_path, mosu_files)
    dataset = ReplayDataset(_train(files))
    _zero_object(files.features, dataset.keys[2])
    dataset[0]  # an intact video still reads
    with pytest.raises(DataError, match=f"cannot read {dataset.keys[2]}") as error:
        dataset[2]
    assert str(files.features) in str(error.value)


def test_the_files_are_opened_on_first_read_and_never_pickled(replay_sets):
    dataset = ReplayDataset(_train(mrhisum_files(replay_sets["mrhisum"], {})))
    assert dataset._handles is None  # nothing open until a video is read (each DataLoader worker opens its own)
    dataset[0]
    assert dataset._handles is not None
    assert pickle.loads(pickle.dumps(dataset))._handles is None  # a spawned worker opens its own
