"""inference.py --dataset VideoXum: the V2V table with the Human and published rows, and its refusals."""

import json
import logging

import pytest

import inference
from dataset.videoxum import VideoXumSplit
from engine.videoxum_data import VideoXumSource
from engine.videoxum_inference import human_means
from evaluation.v2v import PUBLISHED_V2V, human_v2v, mean_v2v


def _args(videoxum_dir, weights, *extra):
    return ["--dataset", "VideoXum", "--data-dir", str(videoxum_dir), "--features", "tiny", "--device", "cpu", "--workers", "0",
            "--weights-dir", str(weights), *extra]


def test_the_table_holds_ours_human_and_the_published_rows(videoxum_trained, videoxum_dir, tmp_path, caplog):
    weights, code = videoxum_trained
    assert code == 0
    caplog.set_level(logging.INFO)
    assert inference.main(inference.parse_args(_args(videoxum_dir, weights, "--json", str(tmp_path / "v2v.json")))) == 0
    lines = "\n".join(caplog.messages).splitlines()
    header = next(line for line in lines if line.startswith("Row"))
    assert all(name in header for name in ("F1 max", "F1 mean", "tau", "rho", "tau each (mean)", "source"))
    assert any(line.startswith("PGL-SUM ") and "selected on validation" in line for line in lines)
    assert any(line.startswith("Human ") for line in lines)
    for row in PUBLISHED_V2V:
        assert any(line.startswith(row.method) and f"{row.f1:.1f}" in line and row.source in line for line in lines)
    assert "SYNTHETIC data" in caplog.text

    payload = json.loads((tmp_path / "v2v.json").read_text())["VideoXum"]
    record = json.loads((weights / "VideoXum" / "split1.json").read_text())
    assert payload["ours"] == pytest.approx(record["test_v2v"])  # the test numbers training wrote, scored again
    assert payload["ours"]["n_videos"] == len(payload["videos"]) == 2 and len(payload["published"]) == len(PUBLISHED_V2V)


def test_the_human_row_is_the_mean_over_videos_of_the_annotators_agreement(videoxum_dir):
    test = VideoXumSource(videoxum_dir, "tiny", 0).split(VideoXumSplit.TEST)
    expected = mean_v2v([human_v2v(test[i].user_summary, test[i].key) for i in range(len(test))])
    assert human_means(test) == expected


@pytest.mark.parametrize(("extra", "message"), [
    (["--split", "1"], "VideoXum has its own train/val/test split"),
    (["--report", "r"], "not available with --dataset VideoXum"),
    (["--save-scores", "s.h5"], "not available with --dataset VideoXum"),
])
def test_unwired_flags_are_refused_at_parse_time(videoxum_dir, tmp_path, extra, message, capsys):
    with pytest.raises(SystemExit):
        inference.parse_args(_args(videoxum_dir, tmp_path, *extra))
    assert message in capsys.readouterr().err


def test_missing_weights_and_features_are_named(videoxum_trained, videoxum_dir, tmp_path, caplog):
    assert inference.main(inference.parse_args(_args(videoxum_dir, tmp_path / "none"))) == 2
    assert "no VideoXum weights at" in caplog.text and "train.py --dataset VideoXum" in caplog.text
    args = _args(videoxum_dir, videoxum_trained[0])
    args[args.index("tiny")] = "blip"
    assert inference.main(inference.parse_args(args)) == 2
    assert "unknown feature set 'blip'" in caplog.text
