"""train.py and inference.py on tiny SYNTHETIC Mr.HiSum and MoSu sets, end to end, and what they refuse before any work."""

import json
import logging

import h5py
import pytest

import inference
import train
from engine.run_paths import record_path_for, weights_path_for
from models.checkpoint import load_checkpoint
from models.method_choice import choice_from_record
from models.methods import method_spec
from sources import source_for
from sources.replay import training as replay_training


def _train_args(data_dir, weights, dataset, *extra):
    return ["--dataset", dataset, "--data-dir", str(data_dir), "--method", "PGL-SUM", "--select", "validation", "--epochs", "2",
            "--device", "cpu", "--workers", "0", "--weights-dir", str(weights), *extra]


@pytest.fixture(scope="module")
def trained(replay_sets, tmp_path_factory):
    """PGL-SUM trained 2 epochs on each set under its authors' protocol: {name: (data dir, weights dir, exit code)}."""
    runs = {}
    for name, dataset in (("mrhisum", "MrHiSum"), ("mosu", "MoSu")):
        weights = tmp_path_factory.mktemp(f"w_{name}")
        runs[name] = (replay_sets[name], weights, train.main(train.parse_args(_train_args(replay_sets[name], weights, dataset))))
    return runs


def test_mrhisum_keeps_one_checkpoint_per_metric_chosen_on_validation(trained):
    _, weights_dir, code = trained["mrhisum"]
    assert code == 0
    weights = weights_path_for(weights_dir, "MrHiSum", 1)
    record = json.loads(record_path_for(weights).read_text())
    assert record["evaluation_protocol"] == "mrhisum" and record["synthetic_data"] and record["layout"] == "mrhisum"
    assert list(record["checkpoints"]) == ["f1", "map50", "map15"] and set(record["test"]) == {"f1", "map50", "map15"}
    assert record["videos"] == {"train": 8, "val": 2, "test": 2} and record["feature_dim"] == 16
    f1s = [row["f1"] for row in record["history"]]  # the history's F1 is Mr.HiSum's on validation
    kept = record["checkpoints"]["f1"]
    assert kept["validation"]["f1"] == pytest.approx(max(f1s)) and kept["epoch"] == max(i + 1 for i, f1 in enumerate(f1s) if f1 == max(f1s))
    for key, entry in record["checkpoints"].items():
        assert record["test"][key] == entry["test"][key]  # each metric reported from its own checkpoint
    assert (weights.parent / "split1_map50.pt").is_file() and (weights.parent / "split1_map15.pt").is_file()
    assert "Mr.HiSum protocol" in record["selection"] and "no test labels" in record["selection"]
    model = method_spec("PGL-SUM").build(choice_from_record(record).config)
    load_checkpoint(model, weights)


def test_mosu_keeps_the_best_tau_plus_rho_epoch(trained):
    _, weights_dir, code = trained["mosu"]
    assert code == 0
    record = json.loads(record_path_for(weights_path_for(weights_dir, "MoSu", 1)).read_text())
    assert record["evaluation_protocol"] == "triplesumm" and list(record["checkpoints"]) == ["tau+rho"]
    assert set(record["test"]) == {"tau", "rho", "map50", "map15"}
    history = record["history"]
    best = max(range(len(history)), key=lambda i: (history[i]["kendall"] + history[i]["spearman"], -i))
    assert record["checkpoints"]["tau+rho"]["epoch"] == best + 1 == record["best_epoch"]


def test_a_finished_run_is_skipped(trained, monkeypatch):
    data_dir, weights_dir, _ = trained["mosu"]

    def refuse(*args, **kwargs):
        raise AssertionError("the finished run was trained again")

    monkeypatch.setattr(replay_training, "ProtocolKeeper", refuse)
    assert train.main(train.parse_args(_train_args(data_dir, weights_dir, "MoSu"))) == 0


@pytest.mark.parametrize(("name", "dataset", "metrics"), [("mrhisum", "MrHiSum", ["f1", "map50", "map15"]),
                                                          ("mosu", "MoSu", ["tau", "rho", "map50", "map15"])])
def test_inference_names_the_protocol_in_every_output(trained, tmp_path, name, dataset, metrics, caplog):
    caplog.set_level(logging.INFO)
    data_dir, weights_dir, _ = trained[name]
    out = tmp_path / "out.json"
    args = ["--dataset", dataset, "--data-dir", str(data_dir), "--weights-dir", str(weights_dir), "--device", "cpu", "--workers", "1",
            "--json", str(out), "--save-scores", str(tmp_path / "scores.h5"), "--report", str(tmp_path / "report")]
    assert inference.main(inference.parse_args(args)) == 0
    payload = json.loads(out.read_text())["datasets"][dataset]
    record = json.loads(record_path_for(weights_path_for(weights_dir, dataset, 1)).read_text())
    protocol = source_for(dataset).flags[0].default
    assert payload["protocol"] == protocol and payload["synthetic_data"] and payload["n_videos"] == 2
    run = payload["folders"][0]["runs"][0]
    assert list(run["test"]) == metrics and run["test"] == pytest.approx(record["test"])  # the numbers training reported
    assert "SYNTHETIC" in caplog.text and f"{dataset}, test split, " in caplog.text
    report = (tmp_path / "report" / "report.md").read_text()
    assert json.loads((tmp_path / "report" / "report.json").read_text())["datasets"][dataset]["protocol"] == protocol
    assert "SYNTHETIC data" in report and "batch-of-64" in report
    with h5py.File(tmp_path / "scores.h5") as scores:
        group = scores[dataset]
        assert group.attrs["protocol"] == protocol and len(group) == 2
        video = group[next(iter(group))]
        assert video["step_scores"].shape == video["machine_summary"].shape


def test_the_other_protocol_scores_the_weights_as_one_checkpoint(trained, tmp_path):
    data_dir, weights_dir, _ = trained["mrhisum"]
    out = tmp_path / "out.json"
    args = ["--dataset", "MrHiSum", "--data-dir", str(data_dir), "--weights-dir", str(weights_dir), "--device", "cpu", "--workers", "0",
            "--protocol", "triplesumm", "--json", str(out)]
    assert inference.main(inference.parse_args(args)) == 0
    run = json.loads(out.read_text())["datasets"]["MrHiSum"]["folders"][0]["runs"][0]
    assert list(run["test"]) == ["tau", "rho", "map50", "map15"] and "chosen under the mrhisum protocol" in run["note"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--dataset", "MoSu", "--split", "1"], "MoSu has its own train/val/test split"),
    (["--dataset", "SumMe", "--protocol", "mrhisum"], "--protocol is for the Most-replayed data sets"),
    (["--dataset", "MoSu", "--layout", "mrhisum"], "--layout says which release of Mr.HiSum"),
])
def test_flags_are_refused_where_they_do_not_apply(argv, message, capsys):
    with pytest.raises(SystemExit):
        train.parse_args(argv)
    assert message in capsys.readouterr().err


def test_another_epoch_rule_is_refused(replay_sets, tmp_path, caplog):
    args = _train_args(replay_sets["mosu"], tmp_path / "w", "MoSu")
    args[args.index("validation")] = "last"
    assert train.main(train.parse_args(args)) == 2
    assert "chosen on its validation split by the protocol's own rule" in caplog.text and not (tmp_path / "w").exists()


def test_a_missing_file_stops_training_before_any_work(tmp_path, caplog):
    assert train.main(train.parse_args(_train_args(tmp_path, tmp_path / "w", "MoSu"))) == 2
    assert "MoSu (TripleSumm's release): not found" in caplog.text and not (tmp_path / "w").exists()


def test_limit_is_said_in_the_record(replay_sets, tmp_path):
    assert train.main(train.parse_args(_train_args(replay_sets["mrhisum-triplesumm"], tmp_path, "MrHiSum", "--limit", "3", "--epochs", "1"))) == 0
    record = json.loads(record_path_for(weights_path_for(tmp_path, "MrHiSum", 1)).read_text())
    assert record["limit"] == 3 and record["videos"] == {"train": 3, "val": 2, "test": 2} and record["layout"] == "triplesumm"


RESUME_EPOCHS = 3  # the kill lands after the first checkpoint, with epochs left to resume


def test_a_run_killed_mid_run_keeps_its_protocol_checkpoints_on_resume(replay_sets, tmp_path, caplog):
    """Mr.HiSum's three kept checkpoints live in the run checkpoint (ProtocolKeeper): killed (kill -9, its own process)
    and started again, the run ends with the same weights and numbers as one never interrupted."""
    import signal
    import sys

    import torch

    from engine.run_paths import run_checkpoint_path
    from tests.engine.conftest import ROOT, kill_after_checkpoint

    def command(weights):
        args = _train_args(replay_sets["mrhisum"], weights, "MrHiSum")
        args[args.index("--epochs") + 1] = str(RESUME_EPOCHS)
        return args

    assert train.main(train.parse_args(command(tmp_path / "whole"))) == 0
    killed = weights_path_for(tmp_path / "killed", "MrHiSum", 1)
    returncode = kill_after_checkpoint([sys.executable, str(ROOT / "train.py"), *command(tmp_path / "killed")], run_checkpoint_path(killed), poll=0.01)
    assert returncode == -signal.SIGKILL, "the run ended before it could be killed"
    with caplog.at_level("INFO"):
        assert train.main(train.parse_args(command(tmp_path / "killed"))) == 0
    assert "resuming after epoch" in caplog.text
    whole = weights_path_for(tmp_path / "whole", "MrHiSum", 1)
    for name in ("split1.pt", "split1_map50.pt", "split1_map15.pt"):
        first, second = (torch.load(path.with_name(name), weights_only=True) for path in (whole, killed))
        assert all(torch.equal(first[key], second[key]) for key in first), name
    records = [json.loads(record_path_for(path).read_text()) for path in (whole, killed)]
    for key in ("history", "checkpoints", "test", "run"):
        if key == "checkpoints":
            for entry in (*records[0][key].values(), *records[1][key].values()):
                entry.pop("weights")
        assert records[0][key] == records[1][key], key


def test_sample_seeds_give_the_spread_of_a_sampled_method_over_draws(replay_sets, tmp_path, caplog):
    """SummDiff on Mr.HiSum scored once per sampling seed: every draw in the JSON, each equal to --sample-seed alone, and
    the mean ± std over the draws of each of the protocol's numbers."""
    weights = tmp_path / "w"
    argv = ["--dataset", "MrHiSum", "--data-dir", str(replay_sets["mrhisum"]), "--method", "SummDiff", "--decoder-layers", "1",
            "--sampling-steps", "2", "--epochs", "1", "--device", "cpu", "--workers", "0", "--weights-dir", str(weights)]
    assert train.main(train.parse_args(argv)) == 0
    common = ["--dataset", "MrHiSum", "--data-dir", str(replay_sets["mrhisum"]), "--device", "cpu", "--workers", "0",
              "--weights-dir", str(weights), "--method", "SummDiff"]
    out = tmp_path / "draws.json"
    with caplog.at_level(logging.INFO):
        assert inference.main(inference.parse_args([*common, "--sample-seeds", "3", "5", "--json", str(out)])) == 0
    payload = json.loads(out.read_text())
    draws = payload["draws"]["None"]
    assert list(draws) == ["3", "5"] and payload["protocol"] == "mrhisum" and payload["across_training_seeds"] is None
    spread = payload["across_sampling_seeds"]
    assert spread["seeds"] == [3, 5] and set(spread["mean"]) == {"f1", "map50", "map15"}
    assert spread["mean"]["map50"] == pytest.approx((draws["3"]["map50"] + draws["5"]["map50"]) / 2)
    assert "mean ± std over the draws" in caplog.text and "sampling seeds" in caplog.text
    single = tmp_path / "five.json"
    assert inference.main(inference.parse_args([*common, "--sample-seed", "5", "--json", str(single)])) == 0
    assert json.loads(single.read_text())["datasets"]["MrHiSum"]["folders"][0]["runs"][0]["test"] == draws["5"]


def test_videoxum_refuses_sample_seeds_by_name(capsys, tmp_path):
    with pytest.raises(SystemExit):
        inference.parse_args(["--dataset", "VideoXum", "--data-dir", str(tmp_path), "--method", "SummDiff", "--sample-seeds", "1", "2"])
    assert "--sample-seeds is not available with --dataset VideoXum" in capsys.readouterr().err
