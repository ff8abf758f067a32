"""score.py on Mr.HiSum's and MoSu's own label files: recognised through the sources, scored under the named protocol,
per video and overall, with the same numbers inference.py reports for the same scores."""

import json
import logging

import numpy as np
import pytest

import inference
import score
import train
from dataset.replay import ReplaySplit, read_split_file
from dataset.replay_synthetic import SYNTHETIC_MARKER
from evaluation.replay_metrics import ReplayProtocol, video_metrics
from sources.mosu import mosu_files
from sources.mrhisum import mrhisum_files


def _score(caplog, *argv):
    caplog.clear()
    code = score.main(score.parse_args([str(a) for a in argv]))
    return code, caplog.text


def _json_scores(files, path, keys, change=None):
    """Scores one per row for ``keys``: the ground truth plus noise (a fixed seed), as a JSON object."""
    from dataset.h5_file import open_h5
    from dataset.replay import read_labels

    rng = np.random.default_rng(0)
    with open_h5(files.labels) as labels:
        truths = {key: read_labels(labels, files, key).gtscore for key in keys}
    scores = {key: (truth + 0.3 * rng.random(len(truth))).tolist() for key, truth in truths.items()}
    scores.update(change or {})
    path.write_text(json.dumps(scores))
    return path


@pytest.mark.parametrize(("name", "files_of", "protocol"), [("mrhisum", mrhisum_files, ReplayProtocol.MRHISUM),
                                                             ("mrhisum-triplesumm", mrhisum_files, ReplayProtocol.MRHISUM),
                                                             ("mosu", mosu_files, ReplayProtocol.TRIPLESUMM)])
def test_each_label_file_is_scored_under_its_authors_protocol_per_video_and_overall(replay_sets, tmp_path, caplog, name, files_of,
                                                                                     protocol):
    caplog.set_level(logging.INFO)
    files = files_of(replay_sets[name], {})
    test_keys = read_split_file(files)[ReplaySplit.TEST]
    predictions = _json_scores(files, tmp_path / "scores.json", test_keys[:1])
    out = tmp_path / "out.json"
    code, text = _score(caplog, "--h5", files.labels, "--scores", predictions, "--json", out)
    assert code == 0, text
    payload = json.loads(out.read_text())
    assert payload["protocol"] == protocol.value and f"protocol {protocol.value}" in text and "SYNTHETIC" in text
    from dataset.h5_file import open_h5
    from dataset.replay import read_labels

    with open_h5(files.labels) as labels:
        truth = read_labels(labels, files, test_keys[0])
    expected = video_metrics(protocol, np.array(json.loads(predictions.read_text())[test_keys[0]]), truth.gtscore, truth.gt_summary,
                             truth.change_points)
    assert payload["videos"] == [{"video": test_keys[0], **expected}]
    assert {k: payload["overall"][k] for k in protocol.metrics} == pytest.approx(expected)
    assert payload["test_videos_without_predictions"] == test_keys[1:] and test_keys[1] in text


def test_the_other_protocol_is_taken_and_named(replay_sets, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    files = mrhisum_files(replay_sets["mrhisum"], {})
    predictions = _json_scores(files, tmp_path / "scores.json", read_split_file(files)[ReplaySplit.TEST])
    code, text = _score(caplog, "--h5", files.labels, "--scores", predictions, "--protocol", "triplesumm")
    assert code == 0 and "protocol triplesumm" in text and "tau" in text and "f1" not in text.split("protocol triplesumm")[1]


def test_bad_predictions_and_flags_are_one_line_errors(replay_sets, tmp_path, caplog):
    files = mosu_files(replay_sets["mosu"], {})
    key = read_split_file(files)[ReplaySplit.TEST][0]
    for change, message in (({"video_999": [0.1] * 30}, "'video_999', which is not a video of"),
                            ({key: [0.5, 0.4]}, f"2 scores for {key}, which has"),
                            ({key: [float("nan")] * 3}, f"the scores of {key} hold NaN")):
        predictions = tmp_path / "bad.json"
        predictions.write_text(json.dumps(change))  # NaN: json's NaN literal, which Python's reader accepts
        code, text = _score(caplog, "--h5", files.labels, "--scores", predictions)
        assert code == 2 and "error:" in text and "Traceback" not in text
        assert message in text
    code, text = _score(caplog, "--h5", files.labels, "--scores", _json_scores(files, tmp_path / "ok.json", [key]), "--f1", "max")
    assert code == 2 and "--f1" in text and "leave it out" in text


def test_protocol_with_a_built_data_set_is_refused(tmp_path, caplog):
    (tmp_path / "my.h5").write_bytes(b"x")
    (tmp_path / "s.json").write_text("{}")
    code, text = _score(caplog, "--h5", tmp_path / "my.h5", "--scores", tmp_path / "s.json", "--protocol", "mrhisum")
    assert code == 2 and "--protocol is for a data set's own label file" in text


def test_score_py_gives_the_numbers_inference_py_gives_for_the_same_scores(replay_sets, tmp_path, caplog):
    """MoSu under TripleSumm's protocol keeps one checkpoint, so the saved scores hold every metric's predictions."""
    caplog.set_level(logging.INFO)
    data_dir, weights = replay_sets["mosu"], tmp_path / "weights"
    assert (data_dir / SYNTHETIC_MARKER).is_file()
    common = ["--dataset", "MoSu", "--data-dir", str(data_dir), "--method", "PGL-SUM", "--device", "cpu", "--workers", "0",
              "--weights-dir", str(weights)]
    assert train.main(train.parse_args([*common, "--epochs", "1", "--select", "validation"])) == 0
    assert inference.main(inference.parse_args([*common, "--json", str(tmp_path / "inf.json"), "--save-scores", str(tmp_path / "s.h5")])) == 0
    run = json.loads((tmp_path / "inf.json").read_text())["datasets"]["MoSu"]["folders"][0]["runs"][0]
    code, text = _score(caplog, "--h5", mosu_files(data_dir, {}).labels, "--scores", tmp_path / "s.h5", "--json", tmp_path / "score.json")
    assert code == 0, text
    scored = json.loads((tmp_path / "score.json").read_text())
    assert {k: scored["overall"][k] for k in run["test"]} == pytest.approx(run["test"])
    by_video = {row["video"]: row for row in run["videos"]}
    assert len(scored["videos"]) == len(by_video) == 2
    for row in scored["videos"]:
        assert {k: row[k] for k in run["test"]} == pytest.approx({k: by_video[row["video"]][k] for k in run["test"]})
    assert scored["test_videos_without_predictions"] == []
