"""Reading Mr.HiSum and MoSu as their authors lay them out (dataset/replay.py): both layouts, every bad input named."""

import json
import re
import shutil

import h5py
import numpy as np
import pytest

from dataset.errors import DataError
from dataset.replay import CLIP_ROWS, ReplayDataset, ReplayFiles, ReplaySplit, open_replay_split, read_split_file
from sources.mosu import mosu_files
from sources.mrhisum import mrhisum_files
from sources.streaming import stream_records


def _open(files, split=ReplaySplit.TRAIN, limit=None):
    return ReplayDataset(open_replay_split(files, split, read_split_file(files)[split], limit))


@pytest.mark.parametrize(("name", "files_of", "fields"), [
    ("mrhisum", mrhisum_files, {"change_points", "features", "gt_summary", "gtscore"}),
    ("mrhisum-triplesumm", mrhisum_files, {"change_points", "gt_summary", "gt_score"}),
    ("mosu", mosu_files, {"change_points", "gt_summary", "gt_score"}),
])
def test_each_layout_is_read_as_its_authors_loader_reads_it(replay_sets, name, files_of, fields):
    files = files_of(replay_sets[name], {})
    with h5py.File(files.labels) as labels:
        key = next(iter(labels))
        assert set(labels[key]) == fields and labels.attrs["synthetic"]
    keys = read_split_file(files)
    assert [len(keys[s]) for s in ReplaySplit] == [8, 2, 2]
    dataset = _open(files)
    record = dataset[0]
    n = len(record.gtscore)
    assert record.features.shape == (n, 16) and record.features.dtype == np.float32
    assert record.user_summary.shape == (1, n) and record.n_frames == n and (record.picks == np.arange(n)).all()
    assert record.change_points[0, 0] == 0 and record.change_points[-1, 1] == n - 1
    assert record.key == keys[ReplaySplit.TRAIN][0]


def test_streaming_with_workers_gives_the_same_records(replay_sets):
    dataset = _open(mrhisum_files(replay_sets["mrhisum"], {}))
    alone = [r.gtscore for r in stream_records(dataset, [3, 1, 2], workers=0)]
    workers = [r.gtscore for r in stream_records(dataset, [3, 1, 2], workers=2)]
    assert all((a == b).all() for a, b in zip(alone, workers, strict=True)) and len(alone) == 3


def test_limit_takes_the_first_videos_of_each_split(replay_sets):
    files = mosu_files(replay_sets["mosu"], {})
    assert _open(files, limit=3).keys == tuple(read_split_file(files)[ReplaySplit.TRAIN][:3])


def test_layout_auto_finds_the_release_present_and_refuses_two(replay_sets, tmp_path):
    assert mrhisum_files(replay_sets["mrhisum"], {}).labels.name == "mr_hisum.h5"
    assert mrhisum_files(replay_sets["mrhisum-triplesumm"], {"replay_layout": "auto"}).labels.name == "mrhisum_gt.h5"
    both = tmp_path / "both"
    shutil.copytree(replay_sets["mrhisum"], both)
    for path in replay_sets["mrhisum-triplesumm"].iterdir():
        shutil.copy(path, both)
    with pytest.raises(DataError, match="holds both releases of Mr.HiSum.*--layout mrhisum or --layout triplesumm"):
        mrhisum_files(both, {})
    with pytest.raises(DataError, match="no Mr.HiSum file in .*mr_hisum.h5"):
        mrhisum_files(tmp_path, {})


def test_a_missing_file_is_named_with_where_it_goes(replay_sets, tmp_path):
    folder = tmp_path / "mosu"
    shutil.copytree(replay_sets["mosu"], folder)
    (folder / "mosu_feat_visual_clip.h5").unlink()
    with pytest.raises(DataError, match=r"MoSu \(TripleSumm's release\): not found: .*mosu_feat_visual_clip.h5; put mosu_feat_visual_clip.h5 in"):
        mosu_files(folder, {}).check_present()


@pytest.fixture
def broken(replay_sets, tmp_path):
    """A writable copy of the Mr.HiSum set (authors' layout) and its files, to damage."""
    folder = tmp_path / "mrhisum"
    shutil.copytree(replay_sets["mrhisum"], folder)
    return mrhisum_files(folder, {})


def _first_key(files: ReplayFiles) -> str:
    return read_split_file(files)[ReplaySplit.TRAIN][0]


def test_the_readme_spelling_gtsummary_is_named_as_the_field_to_rename(broken):
    key = _first_key(broken)
    with h5py.File(broken.labels, "a") as h5:
        h5[key].move("gt_summary", "gtsummary")
    with pytest.raises(DataError, match=f"video {key} lacks the field 'gt_summary' .*it has 'gtsummary': rename it to 'gt_summary'"):
        _open(broken)


def test_a_missing_score_field_is_named(broken):
    key = _first_key(broken)
    with h5py.File(broken.labels, "a") as h5:
        del h5[key]["gtscore"]
    with pytest.raises(DataError, match=f"video {key} lacks the field 'gtscore'"):
        _open(broken)


def test_a_split_key_absent_from_the_h5_is_named(broken):
    split = json.loads(broken.split.read_text())
    split["val_keys"].append("video_999")
    broken.split.write_text(json.dumps(split))
    with pytest.raises(DataError, match=r"1 validation video\(s\) listed in .*'val_keys'\) are not in .*mr_hisum.h5: video_999"):
        _open(broken, ReplaySplit.VAL)


def test_a_split_file_without_a_field_names_it(broken):
    split = json.loads(broken.split.read_text())
    del split["test_keys"]
    broken.split.write_text(json.dumps(split))
    with pytest.raises(DataError, match="field 'test_keys' is missing"):
        read_split_file(broken)


@pytest.mark.parametrize("gap", [1, -1, 3])
def test_features_and_scores_of_other_lengths_are_refused_by_how_much(broken, gap):
    key = _first_key(broken)
    with h5py.File(broken.labels, "a") as h5:
        features = h5[key]["features"][...]
        rows = len(features)
        del h5[key]["features"]
        h5[key]["features"] = np.resize(features, (rows + gap, features.shape[1]))
    with pytest.raises(DataError, match=re.escape(f"video {key} has {rows + gap} feature rows but {rows} gtscore rows (off by {gap:+d}")):
        _open(broken)


def test_nan_scores_are_refused(broken):
    key = _first_key(broken)
    with h5py.File(broken.labels, "a") as h5:
        h5[key]["gtscore"][2] = np.nan
    with pytest.raises(DataError, match=f"video {key}: gtscore holds 1 NaN or infinite value"):
        _open(broken)


def test_a_video_shorter_than_one_clip_is_left_out_and_listed(broken):
    key = _first_key(broken)
    with h5py.File(broken.labels, "a") as h5:
        group = h5[key]
        for name in ("features", "gtscore", "gt_summary"):
            data = group[name][: CLIP_ROWS - 1]
            del group[name]
            group[name] = data
        del group["change_points"]
        group["change_points"] = np.array([[0, CLIP_ROWS - 2]])
    dataset = _open(broken)
    assert key not in dataset.keys and dataset.index.short == [key] and len(dataset) == 7


def test_the_synthetic_command_writes_each_layout_labelled_synthetic(tmp_path, capsys):
    from cli.synthetic_data import main, parse_args

    for dataset, extra in (("MrHiSum", []), ("MrHiSum", ["--layout", "triplesumm"]), ("MoSu", [])):
        out = tmp_path / f"{dataset}{len(extra)}"
        main(parse_args(["--dataset", dataset, "--out", str(out), "--videos", "6", "--min-steps", "8", "--max-steps", "12", "--dim", "4", *extra]))
        files = (mosu_files if dataset == "MoSu" else mrhisum_files)(out, {})
        assert (out / "SYNTHETIC").is_file() and json.loads(files.split.read_text())["synthetic"] and files.synthetic()
        assert len(_open(files)) == 4 and _open(files)[0].features.shape[1] == 4
    assert capsys.readouterr().out.count("wrote SYNTHETIC") == 3
    for argv, message in ((["--dataset", "MoSu", "--layout", "mrhisum"], "MoSu has one layout"),
                          (["--dataset", "SumMe", "--dim", "8"], "--dim and --layout are for --dataset MrHiSum or MoSu")):
        with pytest.raises(SystemExit):
            parse_args([*argv, "--out", str(tmp_path / "no")])
        assert message in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_nan_features_are_named_when_the_video_is_read(broken):
    key = _first_key(broken)
    with h5py.File(broken.labels, "a") as h5:
        h5[key]["features"][0, 0] = np.nan
    dataset = _open(broken)  # shapes only are checked up front: the features are read as the video is
    with pytest.raises(DataError, match=f"video {key} has NaN or infinite features"):
        dataset[0]
