"""train.py --dataset VideoXum end to end on a tiny SYNTHETIC set, and what it refuses before any work."""

import json
import shutil

import pytest

import train
from engine import videoxum_training
from engine.layout import record_path_for, weights_path_for
from engine.model_flags import choice_from_record
from models.checkpoint import load_checkpoint
from models.methods import method_spec


def _args(videoxum_dir, weights, *extra):
    return ["--dataset", "VideoXum", "--data-dir", str(videoxum_dir), "--features", "tiny", "--epochs", "2", "--device", "cpu",
            "--workers", "0", "--weights-dir", str(weights), *extra]


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("training started although the run should have been refused")

    monkeypatch.setattr(videoxum_training, "train_videoxum", refuse)


def test_training_writes_weights_and_a_record_chosen_on_validation(videoxum_trained):
    weights_dir, code = videoxum_trained
    assert code == 0
    weights = weights_path_for(weights_dir, "VideoXum", 1)
    record = json.loads(record_path_for(weights).read_text())
    assert record["dataset"] == "VideoXum" and record["synthetic_data"] and record["features"] == "tiny" and record["feature_dim"] == 32
    assert record["selection_rule"] == "validation" and not record["selection_looks_at_test_labels"]
    assert record["selection"] == "best on validation tau & rho (CSTA's rule, selected on validation; no test labels)"
    assert record["metrics_split"] == "validation" and len(record["history"]) == 2
    assert record["metrics"]["kendall"] == record["validation_v2v"]["kendall"] == record["history"][record["best_epoch"] - 1]["kendall"]
    assert record["test_v2v"]["n_videos"] == 2 and record["validation_v2v"]["n_videos"] == 1
    assert record["model_options"]["feature_dim"] == 32 and record["protocol"]["videos_per_step"] == {"VideoXum": 1}
    assert record["method"] == "PGL-SUM" and record["model_options"]["hidden_dim"] == 32
    model = method_spec("PGL-SUM").build(choice_from_record(record).config)
    load_checkpoint(model, weights)  # the record rebuilds the model the weights fit
    assert weights.with_name("split1_curve.png").is_file()


@pytest.mark.parametrize(("extra", "message"), [
    (["--split", "1"], "VideoXum has its own train/val/test split"),
    (["--splits-file", "x.json"], "leave out --splits-file"),
    (["--ray"], "not wired for --dataset VideoXum"),
])
def test_another_split_is_refused_at_parse_time(videoxum_dir, tmp_path, extra, message, capsys):
    with pytest.raises(SystemExit):
        train.parse_args(_args(videoxum_dir, tmp_path, *extra))
    assert message in capsys.readouterr().err


def test_features_need_videoxum(capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["--dataset", "SumMe", "--features", "blip"])
    assert "needs --dataset VideoXum" in capsys.readouterr().err


def test_a_missing_feature_folder_is_refused_before_training(videoxum_dir, tmp_path, no_training, caplog):
    args = _args(videoxum_dir, tmp_path / "w")
    args[args.index("tiny")] = "blip"
    assert train.main(train.parse_args(args)) == 2
    assert "unknown feature set 'blip'" in caplog.text and "present: tiny" in caplog.text
    assert not (tmp_path / "w").exists()


def test_a_missing_feature_file_names_the_video_and_the_folder(videoxum_dir, tmp_path, no_training, caplog):
    copy = tmp_path / "vx"
    shutil.copytree(videoxum_dir, copy)
    missing = sorted((copy / "feat" / "tiny").iterdir())[0]
    missing.unlink()
    assert train.main(train.parse_args(_args(copy, tmp_path / "w"))) == 2
    assert missing.stem in caplog.text and str(copy / "feat" / "tiny") in caplog.text


@pytest.mark.parametrize(("extra", "message"), [
    (["--select", "test"], "selects on its validation split, never on test labels"),
    (["--method", "CA-SUM", "--epochs", "30"], "train one sigma with --length-factor"),
])
def test_test_labels_and_the_sigma_sweep_are_refused(videoxum_dir, tmp_path, no_training, extra, message, caplog):
    assert train.main(train.parse_args(_args(videoxum_dir, tmp_path / "w", *extra))) == 2
    assert message in caplog.text


def test_csta_defaults_to_its_rule_on_validation(videoxum_dir, tmp_path):
    from engine.training_plan import plan_from_args

    assert plan_from_args(train.parse_args(_args(videoxum_dir, tmp_path))).rule.value == "validation"


def test_validation_selection_needs_videoxum(tmp_path, caplog):
    assert train.main(train.parse_args(["--dataset", "SumMe", "--select", "validation", "--data-dir", str(tmp_path)])) == 2
    assert "only --dataset VideoXum has one" in caplog.text
