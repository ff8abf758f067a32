"""train.py end to end, on tiny synthetic data, the way a user calls it: bad inputs and unwritable
outputs stop it before any training, a disk that fills during training loses nothing, and bugs
keep their traceback."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import train
from engine.train import loop as training
from models.backbone import BackboneInit
from models.checkpoint import load_checkpoint
from models.csta import build_csta
from tests.disk import disk_fills_during_run, disk_full
from tests.log_records import Records
from utils.lock import acquire_lock, lock_path_for

ROOT = Path(__file__).resolve().parents[1]


def train_args(tiny_data_dir, tiny_splits, weights_dir, *extra):
    return ["--dataset", "SumMe", "--split", "1", "--epochs", "1", "--device", "cpu", "--random-init",
            "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights_dir), *extra]


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if training starts."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started although the run should have been refused")

    monkeypatch.setattr(training, "train_split", refuse)
    monkeypatch.setattr(training, "train_method_split", refuse)


@pytest.fixture(scope="module")
def disk_filled_run(tiny_data_dir, tiny_splits, tmp_path_factory):
    """One real training run whose weights folder fills up after the start checks passed."""
    tmp = tmp_path_factory.mktemp("filled")
    weights, spare = tmp / "weights", tmp / "system_tmp"
    spare.mkdir()
    records = Records()
    logging.getLogger().addHandler(records)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr("tempfile.tempdir", str(spare))  # the fallback goes under the system's temporary folder
        disk_fills_during_run(monkeypatch, weights)
        code = train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, weights)))
    logging.getLogger().removeHandler(records)
    kept = sorted(path for path in spare.rglob("*") if path.is_file())
    return code, weights, spare, kept, records.text


def test_a_disk_that_fills_during_training_loses_nothing(disk_filled_run):
    code, weights, spare, kept, log_text = disk_filled_run
    assert code == 1
    wanted = weights / "SumMe" / "split1.pt"
    assert [path.name for path in kept] == ["split1.json", "split1.pt", "split1_curve.png"]
    assert all(str(path).endswith(str(wanted.parent / path.name)) for path in kept)  # the asked layout, below the fallback folder
    model = build_csta(BackboneInit.RANDOM)
    load_checkpoint(model, next(path for path in kept if path.suffix == ".pt"))  # the trained weights, whole
    assert f"could not write {wanted} (No space left on device); kept it as {kept[1]}" in log_text
    assert "3 output(s) could not be written where asked and were kept elsewhere" in log_text
    assert not list(weights.rglob("*.lock")) and not list(weights.rglob("*.partial"))


def test_a_csta_record_names_its_method_variant_and_rule(disk_filled_run):
    from config import ModelConfig
    from models.method_choice import choice_from_record

    _, _, _, kept, _ = disk_filled_run
    record = json.loads(next(path for path in kept if path.suffix == ".json").read_text())
    assert (record["method"], record["model_options"]) == ("CSTA", ModelConfig().to_options())
    assert record["selection_rule"] == "test" and record["selection_looks_at_test_labels"] is True
    assert choice_from_record(record).config == ModelConfig()
    assert record["protocol"]["loss_average"] == "python-float" and record["train_config"]["epochs"] == 1


def _obstruct(path: Path, is_file: bool) -> None:
    """Make ``path`` unwritable for anyone, root included: a folder where a file goes, a file where a folder goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_file:
        path.mkdir()
    else:
        path.write_text("in the way")


def test_every_output_location_is_checked_before_training(disk_filled_run, tiny_data_dir, tiny_splits, tmp_path, no_training, caplog):
    """Each file and folder train.py wrote (found from the run above) is made unwritable in turn."""
    _, weights, spare, kept, _ = disk_filled_run
    prefix = next(iter(kept)).parent.parent  # .../<fallback>/<weights as an absolute path>/SumMe -> weights level
    files = [path.relative_to(prefix) for path in kept]
    folders = sorted({parent for path in files for parent in path.parents if parent != Path(".")})
    cases = [(path, True) for path in files] + [(path, False) for path in folders] + [(Path("."), False)]
    for number, (relative, is_file) in enumerate(cases):
        weights_dir = tmp_path / f"w{number}"
        _obstruct(weights_dir / relative, is_file)
        caplog.clear()
        code = train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, weights_dir)))
        assert code == 2, relative
        assert str(weights_dir / relative) in caplog.text, caplog.text


def test_a_full_disk_is_refused_before_training(tiny_data_dir, tiny_splits, tmp_path, monkeypatch, no_training, caplog):
    disk_full(monkeypatch, tmp_path / "w")
    assert train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, tmp_path / "w"))) == 2
    assert f"cannot write in {tmp_path / 'w' / 'SumMe'}: No space left on device" in caplog.text
    assert not (tmp_path / "w").exists()


def test_a_second_run_on_the_same_weights_is_refused(tiny_data_dir, tiny_splits, tmp_path, no_training, caplog):
    weights = tmp_path / "w" / "SumMe" / "split1.pt"
    weights.parent.mkdir(parents=True)
    first = acquire_lock(weights, command="python train.py --the-first-run")
    try:
        assert train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, tmp_path / "w"))) == 2
    finally:
        first.release()
    assert f"{weights} is being written by another run (pid {os.getpid()}" in caplog.text
    assert "python train.py --the-first-run" in caplog.text


def test_no_output_is_ever_an_input(tiny_data_dir, tiny_splits, tmp_path, no_training, caplog):
    """A splits file kept in the weights folder under a record's name is an input, never overwritten."""
    splits = tmp_path / "w" / "SumMe" / "split1.json"
    splits.parent.mkdir(parents=True)
    shutil.copy(tiny_splits["SumMe"], splits)
    args = train_args(tiny_data_dir, {"SumMe": splits}, tmp_path / "w")
    assert train.main(train.parse_args(args)) == 2
    assert f"the output {splits} is the input {splits}" in caplog.text
    assert splits.read_bytes() == tiny_splits["SumMe"].read_bytes()


@pytest.mark.parametrize("bug", [RuntimeError("CUDA out of memory (test)"), KeyError("a bug")], ids=["RuntimeError", "KeyError"])
def test_bugs_keep_their_traceback(bug, tiny_data_dir, tiny_splits, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr(training, "train_epoch", broken)
    with pytest.raises(type(bug)):
        train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, tmp_path / "w")))
    assert not lock_path_for(tmp_path / "w" / "SumMe" / "split1.pt").exists()  # released all the same


def test_refusals_come_before_torch_is_imported(tiny_data_dir, tiny_splits, tmp_path):
    (tmp_path / "file").write_text("x")
    args = train_args(tiny_data_dir, tiny_splits, tmp_path / "file" / "weights")
    code = f"import sys, train; code = train.main(train.parse_args({args!r})); print(code, 'torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["2", "False"]
    assert f"{tmp_path / 'file'} exists and is not a folder" in result.stderr


def test_torch_and_the_training_loop_load_without_collections(tiny_data_dir, tiny_splits, tmp_path):
    # the loaded objects frozen out of later full collections (utils/collector.py): 0.9 s of a demo training's 39 s otherwise
    args = train_args(tiny_data_dir, tiny_splits, tmp_path / "w")
    code = ("import gc, sys, train\nfrozen = []\ngc.callbacks.append(lambda phase, info: phase == 'start' and frozen.append(gc.get_freeze_count()))\n"
            f"code = train.main(train.parse_args({args!r}))\nprint(code, frozen[-1] if frozen else 0, gc.get_freeze_count())")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True)
    status, frozen_at_last_collection, frozen = map(int, result.stdout.split())
    assert status == 0 and frozen > 100_000 and frozen_at_last_collection > 100_000  # torch's objects, frozen before training collected


def test_train_stops_before_work_when_data_is_missing(tmp_path, caplog):
    code = train.main(train.parse_args(["--dataset", "SumMe", "--data-dir", str(tmp_path), "--random-init", "--device", "cpu"]))
    assert code == 2
    assert "eccv16_dataset_summe_google_pool5.h5" in caplog.text


def test_train_stops_when_imagenet_weights_are_missing(tiny_data_dir, tiny_splits, offline_empty_torch_home, tmp_path, caplog):
    code = train.main(train.parse_args([
        "--dataset", "SumMe", "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"]),
        "--weights-dir", str(tmp_path / "w"), "--device", "cpu",
    ]))
    assert code == 2
    assert "googlenet-1378be20.pth" in caplog.text and "--random-init" in caplog.text
    assert not (tmp_path / "w").exists()


def test_splits_file_needs_one_dataset(tmp_path):
    with pytest.raises(SystemExit):
        train.parse_args(["--splits-file", str(tmp_path / "x.json")])


# ---- --method PGL-SUM / CA-SUM, --select, --tensorboard: the same loop, the method's protocol ----


def rebuilt_metrics(weights_path: Path, tiny_data_dir, tiny_splits):
    """Rebuild the model from the record beside the weights alone, load them strictly, score the test videos."""
    import json

    import torch

    from config import DATASETS
    from dataset import load_benchmark, read_splits
    from engine.evaluate.model_scores import evaluate_model, to_device
    from evaluation.protocol import mean_metrics
    from models.checkpoint import read_state_dict
    from models.method_choice import choice_from_record
    from models.methods import method_spec

    record = json.loads(weights_path.with_suffix(".json").read_text())
    chosen = choice_from_record(record)
    model = method_spec(chosen.method).build(chosen.config)
    model.load_state_dict(read_state_dict(weights_path, "weights"), strict=True)
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    return record, chosen, mean_metrics(evaluate_model(model, to_device(benchmark.subset(split.test_keys), torch.device("cpu")), benchmark.spec))


def method_args(tiny_data_dir, tiny_splits, weights_dir, *extra):
    return ["--dataset", "SumMe", "--split", "1", "--device", "cpu", "--data-dir", str(tiny_data_dir),
            "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights_dir), *extra]


def test_pgl_sum_trains_with_its_protocol_and_its_record_rebuilds_it(tiny_data_dir, tiny_splits, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    board = tmp_path / "board"
    argv = method_args(tiny_data_dir, tiny_splits, tmp_path / "w", "--method", "PGL-SUM", "--segments", "2", "--fusion", "max",
                       "--epochs", "2", "--videos-per-step", "2", "--select", "last", "--tensorboard", str(board))
    assert train.main(train.parse_args(argv)) == 0
    record, chosen, metrics = rebuilt_metrics(tmp_path / "w" / "SumMe" / "split1.pt", tiny_data_dir, tiny_splits)
    assert chosen.method == "PGL-SUM" and chosen.config.num_segments == 2 and chosen.config.fusion.value == "max"
    assert record["best_epoch"] == 2 and len(record["history"]) == 2
    assert metrics.kendall == pytest.approx(record["metrics"]["kendall"]) and metrics.f1 == pytest.approx(record["metrics"]["f1"])
    assert record["protocol"]["grad_clip_norm"] == 5.0 and record["protocol"]["videos_per_step"] == {"SumMe": 2, "TVSum": 2}
    assert (record["selection_rule"], record["selection_looks_at_test_labels"]) == ("last", False)
    assert record["backbone"] == "none (PGL-SUM has no CNN trunk)"
    assert "epoch chosen by: last epoch (no test labels)" in caplog.text
    assert list((board / "PGL-SUM" / "SumMe" / "split1").glob("events.out.tfevents.*"))


def test_ca_sum_sweeps_sigma_and_keeps_the_chosen_one(tiny_data_dir, tiny_splits, tmp_path, caplog):
    from models.methods import choose_length_factor

    caplog.set_level(logging.INFO)
    argv = method_args(tiny_data_dir, tiny_splits, tmp_path / "w", "--method", "CA-SUM", "--block_size", "30", "--epochs", "1",
                       "--videos-per-step", "4", "--select", "test")
    assert train.main(train.parse_args(argv)) == 0
    record, chosen, metrics = rebuilt_metrics(tmp_path / "w" / "SumMe" / "split1.pt", tiny_data_dir, tiny_splits)
    assert chosen.method == "CA-SUM" and chosen.config.block_size == 30
    runs = record["length_factor_runs"]
    assert [run["length_factor"] for run in runs] == [0.5, 0.6, 0.7, 0.8, 0.9]
    assert record["length_factor"] == runs[choose_length_factor([run["improvement"] for run in runs])]["length_factor"]
    kept = next(run for run in runs if run["length_factor"] == record["length_factor"])
    assert record["best_epoch"] == kept["best_epoch"] and record["history"] == kept["history"]
    assert metrics.spearman == pytest.approx(record["metrics"]["spearman"])
    assert (record["selection_rule"], record["selection_looks_at_test_labels"]) == ("test", True)
    assert "looks at test labels" in caplog.text


def test_one_length_factor_is_one_run(tiny_data_dir, tiny_splits, tmp_path):
    argv = method_args(tiny_data_dir, tiny_splits, tmp_path / "w", "--method", "CA-SUM", "--length-factor", "0.4", "--epochs", "1",
                       "--videos-per-step", "4", "--select", "last")
    assert train.main(train.parse_args(argv)) == 0
    record = json.loads((tmp_path / "w" / "SumMe" / "split1.json").read_text())
    assert record["length_factor"] == 0.4 and "length_factor_runs" not in record
    assert record["protocol"]["length_factor_sweep"] == []


@pytest.mark.parametrize(("extra", "message"), [
    (["--method", "CA-SUM", "--Softmax_axis", "T"], "--softmax-axis is an option of CSTA, not of CA-SUM"),
    (["--CLS_on", "false", "--CLS_mix", "SM"], "CLS_on is false"),
    (["--method", "CA-SUM", "--epochs", "5"], "needs at least 21 epochs"),
])
def test_bad_model_flags_are_refused_before_data_is_read(extra, message, tmp_path, caplog):
    argv = ["--dataset", "SumMe", "--data-dir", str(tmp_path / "no data"), "--device", "cpu", "--weights-dir", str(tmp_path / "w"), *extra]
    assert train.main(train.parse_args(argv)) == 2
    assert message in caplog.text and "eccv16" not in caplog.text  # the data (missing here) was never looked for
    assert not (tmp_path / "w").exists()


def test_where_the_weights_go_is_said_before_training(tiny_data_dir, tiny_splits, tmp_path, monkeypatch, no_training, caplog):
    """A default folder is the current folder's (as every path passed), and the run says where, as an absolute path."""
    caplog.set_level(logging.INFO)
    monkeypatch.chdir(tmp_path)
    args = [arg for arg in train_args(tiny_data_dir, tiny_splits, tmp_path / "unused") if arg not in ("--weights-dir", str(tmp_path / "unused"))]
    with pytest.raises(AssertionError, match="training started"):
        train.main(train.parse_args(args))
    assert f"writing weights to {tmp_path / 'weights' / 'SumMe'}" in caplog.text
