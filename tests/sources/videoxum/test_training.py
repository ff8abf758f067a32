"""train.py --dataset VideoXum end to end on a tiny SYNTHETIC set, and what it refuses before any work."""

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import train
from engine.run_paths import record_path_for, run_checkpoint_path, run_folder_for, weights_path_for
from engine.train.epoch import RuleKeeper
from engine.train.resume import RunCheckpoint
from models.checkpoint import load_checkpoint
from models.method_choice import choice_from_record
from models.methods import method_spec
from sources.videoxum import training as videoxum_training
from tests.engine.conftest import kill_after_checkpoint

ROOT = Path(__file__).resolve().parents[3]


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


def test_test_labels_are_refused(videoxum_dir, tmp_path, no_training, caplog):
    assert train.main(train.parse_args(_args(videoxum_dir, tmp_path / "w", "--select", "test"))) == 2
    assert "selects on its validation split, never on test labels" in caplog.text


def test_ca_sum_sweeps_sigma_and_chooses_on_the_validation_features(videoxum_dir, tmp_path):
    """The method's spec applies unchanged: one run per sigma, the authors' choice among them from the
    validation split's mean scores; the test split is scored once, with the chosen sigma's weights."""
    args = _args(videoxum_dir, tmp_path, "--method", "CA-SUM", "--select", "last")
    args[args.index("--epochs") + 1] = "1"
    assert train.main(train.parse_args(args)) == 0
    record = json.loads(record_path_for(weights_path_for(tmp_path, "VideoXum", 1)).read_text())
    runs = record["length_factor_runs"]
    assert [run["length_factor"] for run in runs] == [0.5, 0.6, 0.7, 0.8, 0.9]
    assert record["length_factor"] in [run["length_factor"] for run in runs] and "validation features" in record["length_factor_choice"]
    chosen = next(run for run in runs if run["length_factor"] == record["length_factor"])
    assert record["history"] == chosen["history"] and record["metrics"]["kendall"] == record["validation_v2v"]["kendall"]
    assert record["test_v2v"]["n_videos"] == 2


def test_csta_defaults_to_its_rule_on_validation(videoxum_dir, tmp_path):
    from cli.training_request import plan_from_args

    assert plan_from_args(train.parse_args(_args(videoxum_dir, tmp_path))).rule.value == "validation"


def test_validation_selection_needs_videoxum(tmp_path, caplog):
    assert train.main(train.parse_args(["--dataset", "SumMe", "--select", "validation", "--data-dir", str(tmp_path)])) == 2
    assert "only --dataset VideoXum or --dataset MrHiSum or --dataset MoSu has one" in caplog.text


RESUME_EPOCHS = 3  # the kill lands after the first checkpoint, with epochs left to resume


def _command(videoxum_dir, weights):
    args = _args(videoxum_dir, weights, "--method", "PGL-SUM", "--select", "validation")
    args[args.index("--epochs") + 1] = str(RESUME_EPOCHS)
    return [sys.executable, str(ROOT / "train.py"), *args]


def _same_run(a, b):
    first, second = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    assert first.keys() == second.keys() and all(torch.equal(first[key], second[key]) for key in first)
    records = [json.loads(record_path_for(path).read_text()) for path in (a, b)]
    for key in ("history", "best_epoch", "metrics", "validation_v2v", "test_v2v", "run"):
        assert records[0][key] == records[1][key], key


def test_a_videoxum_run_killed_mid_run_and_started_again_ends_as_if_never_interrupted(videoxum_dir, tmp_path, caplog):
    """Only the killed run is a process of its own (kill -9); the uninterrupted and the resumed runs go in this one,
    with the same torch thread count, to keep the test fast."""
    assert train.main(train.parse_args(_command(videoxum_dir, tmp_path / "whole")[2:])) == 0
    weights = weights_path_for(tmp_path / "killed", "VideoXum", 1)
    checkpoint = run_checkpoint_path(weights)
    returncode = kill_after_checkpoint(_command(videoxum_dir, tmp_path / "killed"), checkpoint, poll=0.01)
    assert returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not weights.exists() and RunCheckpoint.load(checkpoint).epoch < RESUME_EPOCHS

    with caplog.at_level("INFO"):
        assert train.main(train.parse_args(_command(videoxum_dir, tmp_path / "killed")[2:])) == 0
    assert "resuming after epoch" in caplog.text and "taking it over" in caplog.text  # the killed run's lock
    _same_run(weights_path_for(tmp_path / "whole", "VideoXum", 1), weights)
    assert not run_folder_for(weights).exists()

    caplog.clear()
    with caplog.at_level("INFO"):  # finished: skipped, its numbers read back from the record
        assert train.main(train.parse_args(_command(videoxum_dir, tmp_path / "killed")[2:])) == 0
    assert "already trained by this command" in caplog.text and "test (scored once" in caplog.text
    _same_run(weights_path_for(tmp_path / "whole", "VideoXum", 1), weights)


def _fingerprinted_copy(videoxum_dir, tmp_path):
    """A copy of the tiny set, a PGL-SUM plan for it, its run and the fingerprint it has now; and a
    function giving the fingerprint of the copy as it is when called."""
    from cli.training_request import plan_from_args
    from sources.videoxum.data import VideoXumFiles
    from sources.videoxum.training import VideoXumSplitData

    copy = tmp_path / "vx"
    shutil.copytree(videoxum_dir, copy)
    args = train.parse_args(_args(copy, tmp_path / "w", "--method", "PGL-SUM", "--select", "last"))
    run = VideoXumSplitData(VideoXumFiles(copy, "tiny", 0).open())
    plan = plan_from_args(args).sized_for(run.feature_dim)
    return copy, plan, run, run.fingerprint(plan, 1), lambda: VideoXumSplitData(VideoXumFiles(copy, "tiny", 0).open()).fingerprint(plan, 1)


def test_features_extracted_again_change_the_fingerprint(videoxum_dir, tmp_path):
    """A checkpoint made on other feature files under the same name (extracted again) is not resumed."""
    _, _, before, stored, fingerprint_now = _fingerprinted_copy(videoxum_dir, tmp_path)
    assert fingerprint_now() == stored  # nothing changed
    feature = before.data.test.feature_path(0)
    with np.load(feature) as data:
        arrays = {name: data[name] for name in data.files}
    written = feature.stat().st_mtime_ns
    np.savez(feature, **arrays)  # written again: the same values, a new file
    os.utime(feature, ns=(written + 10**9, written + 10**9))  # a second later, whatever the file system's clock resolution
    after = fingerprint_now()
    assert [d.split(":")[0] for d in stored.differences(after)] == ["data_file"]


def test_a_checkpoint_of_other_videoxum_data_is_refused(videoxum_dir, tmp_path):
    """The fingerprint holds the feature set and the annotation files: a checkpoint made on other annotations is not resumed."""
    from engine.train.resume import CheckpointRefused, RunSession

    copy, plan, _, stored, fingerprint_now = _fingerprinted_copy(videoxum_dir, tmp_path)
    annotations = copy / "anno" / "val_videoxum.json"
    annotations.write_text(annotations.read_text() + "\n")  # the same videos, another file
    after = fingerprint_now()
    assert stored.differences(after) == [f"data_file: {stored.data_file!r} in the checkpoint, {after.data_file!r} in this command"]

    weights = weights_path_for(tmp_path / "w", "VideoXum", 1)
    model = method_spec("PGL-SUM").build(plan.model_config)
    optimizer = torch.optim.Adam(model.parameters())
    keeper = RuleKeeper(plan.rule)
    RunSession(weights, stored).save(1, model, optimizer, keeper, [])
    with pytest.raises(CheckpointRefused, match="belongs to another run"):
        RunSession(weights, after).begin(model, optimizer, keeper)
    assert run_checkpoint_path(weights).exists()
