import h5py
import numpy as np
import pytest

from config import DATASETS
from dataset import DataError, read_eccv16
from dataset.h5_file import open_h5
from dataset.synthetic import SUMME_LIKE, SyntheticConfig, write_synthetic_benchmark

SUMME = DATASETS["SumMe"]
SMALL = SyntheticConfig(**{**SUMME_LIKE.__dict__, "n_videos": 3, "n_users": 3, "min_steps": 40, "max_steps": 60,
                           "min_shot_frames": 20, "max_shot_frames": 60})


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    return write_synthetic_benchmark(SUMME, tmp_path_factory.mktemp("small"), SMALL)


def _metadata_offsets(path) -> np.ndarray:
    """Every byte of the file that is not a dataset's stored values: headers, links, heaps, B-trees."""
    values = np.zeros(path.stat().st_size, dtype=bool)
    with h5py.File(path, "r") as h5:
        def mark(name, node):
            if isinstance(node, h5py.Dataset) and node.id.get_offset() is not None:
                values[node.id.get_offset():node.id.get_offset() + node.id.get_storage_size()] = True
        h5.visititems(mark)
    return np.flatnonzero(~values)


def _object_address(path, name) -> int:
    with h5py.File(path, "r") as h5:
        return h5py.h5o.get_info(h5[name].id).addr


@pytest.mark.parametrize("block", [1, 8, 512])
def test_a_file_damaged_anywhere_in_its_structure_is_a_data_error_naming_it(tmp_path, small_file, block):
    """Blocks overwritten at 150 random places of the file's structure (same size, as a bad disk or copy
    leaves it): each read either succeeds or is a DataError naming the file, never another exception."""
    original = small_file.read_bytes()
    rng = np.random.default_rng(block)
    damaged = tmp_path / SUMME.h5_name
    named = 0
    for offset in rng.choice(_metadata_offsets(small_file), 150, replace=False):
        data = bytearray(original)
        data[offset:offset + block] = rng.integers(0, 256, len(data[offset:offset + block]), dtype=np.uint8).tobytes()
        damaged.write_bytes(bytes(data))
        try:
            read_eccv16(damaged)
        except DataError as error:
            assert str(damaged) in str(error), error
            named += 1
    assert named >= 20  # the sample did hit the file's structure (about a third of the reads fail)


@pytest.mark.parametrize("name", ["video_2", "video_2/features", "video_2/user_summary", "video_2/change_points"])
def test_a_damaged_object_is_named(tmp_path, small_file, name):
    data = bytearray(small_file.read_bytes())
    address = _object_address(small_file, name)
    data[address:address + 64] = bytes(64)
    damaged = tmp_path / SUMME.h5_name
    damaged.write_bytes(bytes(data))
    with pytest.raises(DataError, match=f"cannot read {name} .*damaged") as error:
        read_eccv16(damaged)
    assert str(damaged) in str(error.value)


def test_an_object_of_the_wrong_kind_or_type_is_named(tmp_path):
    path = tmp_path / "odd.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("video_1/features")
        h5["video_1/gtscore"] = np.bytes_("not numbers")
    with open_h5(path) as h5:
        with pytest.raises(DataError, match="video_1/features is a Group, not a dataset"):
            h5.array("video_1", "features")
        with pytest.raises(DataError, match="cannot read video_1/gtscore as float32"):
            h5.array("video_1", "gtscore", np.float32)
        with pytest.raises(DataError, match="cannot read video_1/picks"):
            h5.array("video_1", "picks")


def test_only_the_reader_and_the_synthetic_writer_use_h5py():
    """A new reader elsewhere in dataset/ would bypass the named errors; it should use dataset.h5_file."""
    import ast
    from pathlib import Path

    import dataset

    users = set()
    for source in Path(dataset.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) else []
            if any(name and name.split(".")[0] == "h5py" for name in names):
                users.add(source.name)
    assert users == {"h5_file.py", "synthetic.py"}
