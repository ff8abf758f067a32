"""SummDiff through train.py and inference.py on tiny synthetic data: the authors' SumMe settings by default (one
training target per annotator, their epoch rule), a record that rebuilds the model, and scores that a seed fixes."""

import json

import h5py
import numpy as np
import pytest
import torch

import inference
import train
from config import DATASETS
from dataset import load_benchmark, read_splits
from engine.evaluate.model_scores import evaluate_model, to_device
from evaluation.protocol import mean_metrics
from models.checkpoint import read_state_dict
from models.method_choice import choice_from_record
from models.methods import method_spec


@pytest.fixture(scope="module")
def trained(tiny_data_dir, tiny_splits, tmp_path_factory):
    weights = tmp_path_factory.mktemp("summdiff") / "w"
    data = ["--dataset", "SumMe", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"])]
    assert train.main(train.parse_args([*data, "--weights-dir", str(weights), "--method", "SummDiff", "--epochs", "1",
                                        "--split", "1", "--decoder-layers", "1"])) == 0
    return data, weights


def test_a_trained_record_holds_the_authors_summe_settings_and_rebuilds_the_model(trained, tiny_data_dir, tiny_splits):
    _, weights = trained
    path = weights / "SumMe" / "split1.pt"
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["method"] == "SummDiff" and len(record["history"]) == 1
    options = record["model_options"]
    assert (options["individual"], options["guidance"], options["decoder_layers"], options["clamp"]) == (True, 0.2, 1, True)
    assert (record["selection_rule"], record["selection_looks_at_test_labels"]) == ("test-tau", True)
    assert (record["protocol"]["learning_rate"], record["protocol"]["step_loss"], record["protocol"]["partial_step"]) == (
        3e-5, "length-weighted-mean", True)
    chosen = choice_from_record(record)
    model = method_spec(chosen.method).build(chosen.config)
    model.load_state_dict(read_state_dict(path, "weights"), strict=True)
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    metrics = mean_metrics(evaluate_model(model, to_device(benchmark.subset(split.test_keys), torch.device("cpu")), benchmark.spec))
    # sampling is seeded per video: the rebuilt model scores exactly as training's evaluation did
    assert metrics.kendall == record["metrics"]["kendall"] and metrics.f1 == record["metrics"]["f1"]


def test_inference_saves_the_scores_and_another_sample_seed_changes_them(trained, tmp_path):
    data, weights = trained
    saved = []
    # the record says sample seed 204; a sampling option may differ from it (the weights stay the record's)
    for name, extra in (("a", []), ("c", ["--method", "SummDiff", "--sample-seed", "5"])):
        out = tmp_path / f"{name}.h5"
        assert inference.main(inference.parse_args([*data, "--weights-dir", str(weights), "--split", "1", "--scoring", "exact",
                                                    "--save-scores", str(out), *extra])) == 0
        with h5py.File(out, "r") as scores:
            group = scores["SumMe"]
            assert group[next(iter(group))].attrs["method"] == "SummDiff"
            saved.append(np.concatenate([group[key]["step_scores"][()] for key in sorted(group)]))
    assert saved[0].shape == saved[1].shape and not np.array_equal(saved[0], saved[1])


def test_sample_seeds_report_the_spread_over_draws_and_each_draw_in_json(trained, tmp_path):
    data, weights = trained
    out = tmp_path / "draws.json"
    common = [*data, "--weights-dir", str(weights), "--split", "1", "--scoring", "exact"]
    assert inference.main(inference.parse_args([*common, "--method", "SummDiff", "--sample-seeds", "3", "5", "3",
                                                "--json", str(out)])) == 0
    payload = json.loads(out.read_text())["SumMe"]
    draws = payload["draws"]["None"]
    assert list(draws) == ["3", "5"]  # a repeated seed is one draw
    spread = payload["across_sampling_seeds"]
    assert spread["seeds"] == [3, 5] and payload["across_training_seeds"] is None
    taus = [draws[seed]["mean"]["kendall"] for seed in ("3", "5")]
    assert spread["mean"]["kendall"] == pytest.approx(np.mean(taus))
    assert spread["std"]["kendall"] == pytest.approx(np.std(taus, ddof=1))
    # each draw is the scoring --sample-seed gives alone
    single = tmp_path / "five.json"
    assert inference.main(inference.parse_args([*common, "--method", "SummDiff", "--sample-seed", "5", "--json", str(single)])) == 0
    assert json.loads(single.read_text())["SumMe"]["mean"] == draws["5"]["mean"]


def test_sample_seeds_need_a_sampled_method_and_one_draw_for_a_report(trained, tmp_path, capsys):
    data, weights = trained
    common = [*data, "--weights-dir", str(weights), "--split", "1"]
    with pytest.raises(SystemExit):
        inference.parse_args([*common, "--sample-seeds", "1", "2"])  # the flags' method is CSTA's default
    assert "predicts without sampling: give --method SummDiff" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        inference.parse_args([*common, "--method", "SummDiff", "--sample-seeds", "1", "2", "--report", str(tmp_path / "r")])
    assert "choose one draw with --sample-seed S" in capsys.readouterr().err
