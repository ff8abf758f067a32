"""A training run that produces a useless model says so (issue 25): in its result, its JSON record,
its training curve and train.py's table; an ordinary run says nothing."""

import json
import math

import pytest
import torch

from config import DATASETS, TrainConfig
from dataset import load_benchmark, read_splits
from engine.reports.plots import plot_training_curve
from engine.reports.tables import training_table
from engine.train import loop as training
from evaluation.degenerate import Finding
from evaluation.protocol import MeanMetrics

SUMME = DATASETS["SumMe"]


def saturating_start(model, plan, split_number):
    """Instead of --init: a head bias so negative that the sigmoid is saturated, as on the six stand-in clips."""
    with torch.no_grad():
        model.linear2[0].bias.fill_(-80.0)


def test_a_saturated_run_warns_in_its_result_record_and_curve(tiny_data_dir, tiny_splits, tmp_path, monkeypatch):
    monkeypatch.setattr(training, "start_from_init", saturating_start)
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    config = TrainConfig(epochs=3, learning_rate=0.0, imagenet_init=False)  # nothing moves: frozen numbers too
    result = training.train_split(benchmark, split, config, torch.device("cpu"), tmp_path)
    assert [finding.code for finding in result.warnings] == ["frozen-metrics", "saturated-scores"]

    record = json.loads(result.weights_path.with_suffix(".json").read_text())
    assert [entry["code"] for entry in record["warnings"]] == ["frozen-metrics", "saturated-scores"]
    assert training.finished_training(record, result.weights_path, None).warnings == result.warnings

    curve = result.weights_path.with_name("split1_curve.png")
    ordinary = plot_training_curve(tmp_path / "plain.png", "t", [1, 2, 3], [0.1] * 3, [0.1] * 3, [0.1] * 3, 1)
    assert png_height(curve) > png_height(ordinary)


def test_an_ordinary_run_records_no_warning(tiny_data_dir, tiny_splits, tmp_path):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    result = training.train_split(benchmark, split, TrainConfig(epochs=2, imagenet_init=False), torch.device("cpu"), tmp_path)
    assert result.warnings == []
    assert json.loads(result.weights_path.with_suffix(".json").read_text())["warnings"] == []


def png_height(path) -> int:
    return int.from_bytes(path.read_bytes()[20:24], "big")


def test_the_curve_with_warnings_is_taller_and_without_them_unchanged(tmp_path):
    args = ([1, 2, 3], [0.3, 0.2, 0.1], [0.1, 0.1, 0.1], [0.2, 0.2, 0.2], 2)
    plain = plot_training_curve(tmp_path / "a.png", "split 1", *args)
    default = plot_training_curve(tmp_path / "b.png", "split 1", *args, warnings=())
    one = plot_training_curve(tmp_path / "c.png", "split 1", *args, warnings=["the sigmoid is saturated"])
    long = plot_training_curve(tmp_path / "d.png", "split 1", *args, warnings=["the sigmoid is saturated", "frozen " * 40])
    assert plain.read_bytes() == default.read_bytes()
    assert png_height(plain) == 320 < png_height(one) < png_height(long)  # every warning in full, a long one wrapped


@pytest.mark.parametrize("warnings", [[], [Finding("saturated-scores", "100% of the test scores are within 1e-06 of 0 or 1")]])
def test_the_training_table_prints_a_warning_line_per_finding(tmp_path, warnings):
    result = training.SplitTraining("my", 2, tmp_path / "my" / "split2.pt", 1, MeanMetrics(20.0, math.nan, math.nan),
                                    warnings=warnings)
    table = training_table([result], {"my": False}, stand_in=False)
    lines = [line for line in table.splitlines() if "WARNING" in line]
    assert lines == [f"  WARNING my split 2: the kept model looks useless: {w.message}" for w in warnings]
