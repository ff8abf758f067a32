import json

import pytest

from config import DATASETS
from dataset import DataError, check_splits, read_splits, select_splits

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
N_VIDEOS = {"SumMe": 25, "TVSum": 50}


@pytest.mark.parametrize("name", ["SumMe", "TVSum"])
def test_official_splits_ship_with_the_project(name):
    spec = DATASETS[name]
    splits = read_splits(spec.splits_path())
    everyone = {f"video_{i}" for i in range(1, N_VIDEOS[name] + 1)}
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


# Every format the reader accepts, written from the same splits, so that each check is tried on each format.
def _project_json(dataset, pairs):
    return json.dumps({"format": "csta-splits/1", "dataset": dataset, "splits": [{"train": tr, "test": te} for tr, te in pairs]})


def _pgl_sum_json(dataset, pairs):
    return json.dumps([{"train_keys": tr, "test_keys": te} for tr, te in pairs])


def _reference_text(dataset, pairs):
    return "".join(f"{dataset}/split{i}/{','.join(tr)}/{','.join(te)}\n" for i, (tr, te) in enumerate(pairs))


WRITERS = {"project": _project_json, "pgl_sum": _pgl_sum_json, "reference": _reference_text}
GOOD = (["video_1", "video_2", "video_3"], ["video_4", "video_5"])


@pytest.mark.parametrize("fmt", WRITERS)
def test_every_format_reads_back_what_was_written(tmp_path, fmt):
    path = tmp_path / "splits"
    path.write_text(WRITERS[fmt]("SumMe", [GOOD, (GOOD[1], GOOD[0])]))
    splits = read_splits(path, DATASETS["SumMe"])
    assert [(s.train_keys, s.test_keys) for s in splits] == [(tuple(GOOD[0]), tuple(GOOD[1])), (tuple(GOOD[1]), tuple(GOOD[0]))]


@pytest.mark.parametrize("fmt", WRITERS)
@pytest.mark.parametrize("bad_split, message, named", [
    ((["video_1", "video_2"], ["video_2", "video_3"]), "both its training and its test keys", ["video_2"]),
    ((["video_1", "video_4", "video_2"], ["video_4", "video_2"]), "both its training and its test keys", ["video_2", "video_4"]),
    ((["video_1", "video_1", "video_2"], ["video_3"]), "more than once in its training keys", ["video_1"]),
    ((["video_1"], ["video_3", "video_2", "video_3"]), "more than once in its test keys", ["video_3"]),
])
def test_overlapping_or_repeated_keys_are_refused_in_every_format(tmp_path, fmt, bad_split, message, named):
    path = tmp_path / "splits"
    path.write_text(WRITERS[fmt]("SumMe", [GOOD, bad_split]))  # the bad split is the second
    with pytest.raises(DataError, match=message) as error:
        read_splits(path)
    text = str(error.value)
    assert str(path) in text and "split 2" in text
    for key in named:
        assert key in text


@pytest.mark.parametrize("fmt", ["project", "reference"])  # PGL-SUM's files do not name their dataset
@pytest.mark.parametrize("written, asked", [("TVSum", "SumMe"), ("SumMe", "TVSum"), ("YouTube", "SumMe")])
def test_a_file_for_another_dataset_is_refused(tmp_path, fmt, written, asked):
    path = tmp_path / "splits"
    path.write_text(WRITERS[fmt](written, [GOOD]))
    with pytest.raises(DataError, match=f"for dataset '{written}', but they were asked for {asked}") as error:
        read_splits(path, DATASETS[asked])
    assert str(path) in str(error.value)
    assert read_splits(path)  # without a dataset to compare with, the file itself is fine


def test_dataset_name_is_compared_without_case(tmp_path):
    path = tmp_path / "splits.json"
    path.write_text(_project_json("summe", [GOOD]))
    assert read_splits(path, DATASETS["SumMe"])[0].test_keys == tuple(GOOD[1])


@pytest.mark.parametrize("name", ["SumMe", "TVSum"])
def test_official_splits_pass_every_check(name):
    assert len(read_splits(DATASETS[name].splits_path(), DATASETS[name])) == 5


# Values of every JSON type but the expected one; each must be refused wherever a list of keys or a key belongs.
NOT_A_LIST = ["video_1,video_2", "video_1", 3, 2.5, True, None, {"video_1": 1}]
NOT_A_KEY = [3, 2.5, True, None, ["video_1"], {"key": "video_1"}]


def _project(train, test):
    return {"format": "csta-splits/1", "dataset": "SumMe", "splits": [{"train": train, "test": test}]}


def _pgl(train, test):
    return [{"train_keys": train, "test_keys": test}]


@pytest.mark.parametrize("layout, train_field, test_field", [(_project, "train", "test"), (_pgl, "train_keys", "test_keys")])
@pytest.mark.parametrize("side", ["train", "test"])
@pytest.mark.parametrize("value", NOT_A_LIST + [["video_1", bad] for bad in NOT_A_KEY], ids=repr)
def test_wrong_types_in_a_key_list_are_refused_naming_the_field(tmp_path, layout, train_field, test_field, side, value):
    train, test = (value, ["video_9"]) if side == "train" else (["video_9"], value)
    path = tmp_path / "splits.json"
    path.write_text(json.dumps(layout(train, test)))
    field = train_field if side == "train" else test_field
    with pytest.raises(DataError, match=f"split 1: '{field}' (is|holds) ") as error:
        read_splits(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("payload, message", [
    ({"format": "csta-splits/1", "dataset": "SumMe", "splits": "video_1"}, "'splits' is a string"),
    ({"format": "csta-splits/1", "dataset": "SumMe", "splits": {"train": [], "test": []}}, "'splits' is an object"),
    ({"format": "csta-splits/1", "dataset": "SumMe", "splits": [["video_1"], ["video_2"]]}, "split 1 is a list"),
    ([["video_1"], ["video_2"]], "split 1 is a list"),
    (["video_1"], "split 1 is a string"),
    ({"format": "csta-splits/1", "dataset": 3, "splits": [{"train": [], "test": ["video_1"]}]}, "'dataset' is a number"),
    ({"format": "csta-splits/2", "splits": [{"train": [], "test": ["video_1"]}]}, "'format' is \"csta-splits/2\""),
    ({"format": "csta-splits/1", "splits": [{"train_keys": ["video_2"], "test": ["video_1"]}]}, "unknown field\\(s\\) 'train_keys'"),
    ([{"train": ["video_2"], "test_keys": ["video_1"]}], "unknown field\\(s\\) 'train'"),
])
def test_wrong_structure_is_refused_naming_the_field(tmp_path, payload, message):
    path = tmp_path / "splits.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(DataError, match=message) as error:
        read_splits(path)
    assert str(path) in str(error.value)


def test_a_binary_file_is_a_named_error(tmp_path):
    path = tmp_path / "splits.txt"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match="cannot be read"):
        read_splits(path)


def test_check_splits_wants_known_videos_and_no_empty_side(tmp_path):
    videos = [f"video_{i}" for i in range(1, 9)]
    splits_file = tmp_path / "splits.json"
    splits_file.write_text('[{"train_keys": ["video_1"], "test_keys": ["video_2", "video_99"]}]')
    with pytest.raises(DataError, match=r"split 1 names video\(s\) not in data/summe.h5: video_99"):
        check_splits(read_splits(splits_file), videos, splits_file, "data/summe.h5", need_train=True)
    splits_file.write_text('[{"train_keys": ["video_1"], "test_keys": []}]')
    with pytest.raises(DataError, match="no test videos"):
        check_splits(read_splits(splits_file), videos, splits_file, "data/summe.h5", need_train=True)
    splits_file.write_text('[{"train_keys": [], "test_keys": ["video_1"]}]')
    with pytest.raises(DataError, match="no training videos"):
        check_splits(read_splits(splits_file), videos, splits_file, "data/summe.h5", need_train=True)
    check_splits(read_splits(splits_file), videos, splits_file, "data/summe.h5", need_train=False)  # evaluation needs no training side


# The first split of each file PGL-SUM and CA-SUM ship (data/splits/<dataset>_splits.json, split_index 0).
APOSTOLIDIS_FIRST_TEST = {
    "SumMe": ["video_16", "video_21", "video_25", "video_4", "video_9"],
    "TVSum": None,  # only its size is pinned
}


@pytest.mark.parametrize("name", ["SumMe", "TVSum"])
@pytest.mark.parametrize("split_set", ["pgl-sum", "ca-sum"])
def test_the_splits_of_pgl_sum_and_ca_sum_ship_by_name(name, split_set):
    spec = DATASETS[name]
    path = spec.splits_path(split_set)
    payload = json.loads(path.read_text())
    assert any("github.com/e-apostolidis/" in source and "commit" in source for source in payload["source"])
    splits = read_splits(path, spec)
    n_videos, n_test = {"SumMe": (25, 5), "TVSum": (50, 10)}[name]
    assert len(splits) == 5
    for split in splits:
        assert len(split.test_keys) == n_test and len(split.train_keys) == n_videos - n_test
        assert set(split.train_keys) | set(split.test_keys) == {f"video_{i}" for i in range(1, n_videos + 1)}
    if APOSTOLIDIS_FIRST_TEST[name]:
        assert list(splits[0].test_keys) == APOSTOLIDIS_FIRST_TEST[name]
    assert splits != read_splits(spec.splits_path(), spec)  # not CSTA's own


def test_an_unknown_set_of_splits_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown set of splits 'mine'; choose one of csta, pgl-sum, ca-sum"):
        DATASETS["SumMe"].splits_path("mine")
