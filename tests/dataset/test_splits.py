import pytest

from config import DATASETS
from dataset import DataError, read_splits, select_splits

# Reference section 2: the official test videos of each split.
OFFICIAL_TEST_VIDEOS = {
    "SumMe": [[2, 11, 13, 14, 24], [9, 10, 12, 21, 23], [5, 7, 8, 20, 25], [1, 4, 15, 17, 18], [3, 6, 16, 19, 22]],
    "TVSum": [
        [7, 12, 21, 24, 31, 34, 38, 44, 48, 49],
        [1, 4, 15, 17, 19, 20, 36, 41, 43, 46],
        [2, 8, 9, 18, 27, 29, 35, 39, 40, 47],
        [5, 6, 16, 22, 23, 25, 28, 33, 45, 50],
        [3, 10, 11, 13, 14, 26, 30, 32, 37, 42],
    ],
}


@pytest.mark.parametrize("name", ["SumMe", "TVSum"])
def test_official_splits_ship_with_the_project(name):
    spec = DATASETS[name]
    splits = read_splits(spec.splits_path())
    everyone = {f"video_{i}" for i in range(1, spec.n_videos + 1)}
    assert [s.number for s in splits] == [1, 2, 3, 4, 5]
    for split, official in zip(splits, OFFICIAL_TEST_VIDEOS[name], strict=True):
        assert split.test_keys == tuple(f"video_{i}" for i in official)
        assert set(split.train_keys) == everyone - set(split.test_keys)
    tested = [key for split in splits for key in split.test_keys]
    assert sorted(tested) == sorted(everyone)  # every video tested exactly once


def test_pgl_sum_json(tmp_path):
    path = tmp_path / "pgl.json"
    path.write_text('[{"train_keys": ["video_1", "video_2"], "test_keys": ["video_3"]},'
                    ' {"train_keys": ["video_3"], "test_keys": ["video_1", "video_2"]}]')
    splits = read_splits(path)
    assert [(s.number, s.train_keys, s.test_keys) for s in splits] == [
        (1, ("video_1", "video_2"), ("video_3",)),
        (2, ("video_3",), ("video_1", "video_2")),
    ]


def test_reference_text_format(tmp_path):
    path = tmp_path / "SumMe_splits.txt"
    path.write_text("SumMe/split0/video_1,video_2/video_3\nSumMe/split1/video_3/video_1,video_2\n")
    splits = read_splits(path)
    assert splits[1].test_keys == ("video_1", "video_2")


def test_select_splits(tmp_path):
    splits = read_splits(DATASETS["SumMe"].splits_path())
    assert [s.number for s in select_splits(splits, [3, 1], "f")] == [3, 1]
    assert select_splits(splits, None, "f") == splits
    with pytest.raises(DataError, match="no split 6"):
        select_splits(splits, [6], "f")


@pytest.mark.parametrize("text, message", [
    ("{not json", "invalid JSON"),
    ('{"something": 1}', "splits file is a"),
    ('[{"train_keys": []}]', "no 'test_keys'"),
    ("", "no splits"),
    ("SumMe/split0/onlythree", "expected 'dataset/splitK"),
])
def test_bad_split_files(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_splits(path)
    with pytest.raises(DataError, match="cannot be read"):
        read_splits(tmp_path / "missing.json")
