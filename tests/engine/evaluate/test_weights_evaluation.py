"""engine/evaluate/weights_evaluation.py: evaluating weights files split by split."""

import json

import numpy as np
import pytest
import torch

import inference
from config import DATASETS, CASumConfig, PGLSumConfig
from dataset import load_benchmark, read_splits
from engine.evaluate.weights_evaluation import check_models, evaluate_weights
from engine.weights_model import model_for_weights
from models.backbone import BackboneInit
from models.checkpoint import CheckpointMismatch, save_checkpoint
from models.csta import build_csta
from models.method_choice import ModelChoiceError
from models.methods import EpochRule, method_spec


@pytest.fixture
def split2_only(tmp_path):
    """Untrained CSTA weights for SumMe split 2 and none for split 1, with no training record."""
    torch.manual_seed(0)
    save_checkpoint(build_csta(BackboneInit.RANDOM).state_dict(), tmp_path / "SumMe" / "split2.pt")
    return tmp_path


def test_splits_without_weights_are_skipped_unless_all_are_required(tiny_data_dir, tiny_splits, split2_only):
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    splits = read_splits(tiny_splits["SumMe"])
    result = evaluate_weights(benchmark, splits, split2_only, torch.device("cpu"), require_all=False)
    assert [s.split for s in result.splits] == [2]
    only = result.splits[0]
    assert only.weights_path == split2_only / "SumMe" / "split2.pt"
    assert [v.key for v in only.videos] == list(splits[1].test_keys)
    assert set(only.scores) == set(splits[1].test_keys)
    assert only.record is None and only.backbone is None  # released-style weights: no record beside them
    assert result.mean == only.metrics
    with pytest.raises(FileNotFoundError, match="split1.pt"):
        evaluate_weights(benchmark, splits, split2_only, torch.device("cpu"), require_all=True)


# ---- every method: the record beside the weights says which model they are ----


def _weights(folder, dataset, split, model, record=None):
    path = folder / dataset / f"split{split}.pt"
    save_checkpoint(model.state_dict(), path)
    if record is not None:
        path.with_suffix(".json").write_text(json.dumps(record))
    return path


def _record(method, config, rule):
    return {"dataset": "SumMe", "method": method, "model_options": config.to_options(), "selection_rule": rule}


def _flags(*argv):
    return inference.parse_args(["--data-dir", "x", *argv]).model


@pytest.fixture(scope="module")
def two_methods(tmp_path_factory):
    """SumMe split 1: a PGL-SUM with 4 heads and 2 segments; split 2: a CA-SUM; each with its record."""
    folder = tmp_path_factory.mktemp("two_methods")
    torch.manual_seed(0)
    pgl_config = PGLSumConfig(heads=4, num_segments=2)
    pgl = method_spec("PGL-SUM").build(pgl_config)
    ca = method_spec("CA-SUM").build()
    _weights(folder, "SumMe", 1, pgl, _record("PGL-SUM", pgl_config, "loss-curve"))
    _weights(folder, "SumMe", 2, ca, _record("CA-SUM", CASumConfig(), "min-loss"))
    return folder, pgl.eval(), ca.eval()


def test_each_weights_file_is_rebuilt_as_its_record_says(tiny_data_dir, tiny_splits, two_methods):
    folder, pgl, ca = two_methods
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    splits = read_splits(tiny_splits["SumMe"])
    result = evaluate_weights(benchmark, splits, folder, torch.device("cpu"), require_all=True, flags=_flags())
    first, second = result.splits
    assert (first.model.method, first.model.config) == ("PGL-SUM", PGLSumConfig(heads=4, num_segments=2))
    assert (second.model.method, second.model.config) == ("CA-SUM", CASumConfig())
    assert (first.selection_rule, second.selection_rule) == (EpochRule.LOSS_CURVE, EpochRule.MIN_LOSS)
    for split, model in ((first, pgl), (second, ca)):
        key = split.videos[0].key
        with torch.no_grad():
            expected = model(torch.from_numpy(benchmark.videos[key].features)).numpy()
        assert np.array_equal(split.scores[key], expected)


def test_flags_that_contradict_a_record_name_both_values_and_the_file(two_methods, tiny_data_dir, tiny_splits):
    folder, _, _ = two_methods
    record = folder / "SumMe" / "split1.json"
    with pytest.raises(ModelChoiceError, match=f"--method CA-SUM contradicts the record {record}, which says the weights are PGL-SUM"):
        model_for_weights(_flags("--method", "CA-SUM"), folder / "SumMe" / "split1.pt")
    with pytest.raises(ModelChoiceError, match=f"--heads 8 contradicts the record {record}, which says 4"):
        model_for_weights(_flags("--method", "PGL-SUM", "--heads", "8"), folder / "SumMe" / "split1.pt")
    # agreeing flags are fine, and the check runs over every file before any evaluation
    assert model_for_weights(_flags("--method", "PGL-SUM", "--heads", "4"), folder / "SumMe" / "split1.pt")[0].config.heads == 4
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    with pytest.raises(ModelChoiceError, match="split2.json, which says the weights are CA-SUM"):
        check_models([(benchmark, read_splits(tiny_splits["SumMe"]))], [folder], [None], _flags("--method", "PGL-SUM"), True)


def test_released_weights_are_what_the_flags_say(tmp_path, tiny_data_dir, tiny_splits):
    torch.manual_seed(1)
    _weights(tmp_path, "SumMe", 1, method_spec("CA-SUM").build())  # no record, as the authors' released files
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    splits = read_splits(tiny_splits["SumMe"])[:1]
    result = evaluate_weights(benchmark, splits, tmp_path, torch.device("cpu"), require_all=True, flags=_flags("--method", "CA-SUM"))
    assert result.splits[0].model.method == "CA-SUM" and result.splits[0].selection_rule is None
    with pytest.raises(CheckpointMismatch, match="These are CA-SUM weights .*evaluate them with --method CA-SUM"):
        evaluate_weights(benchmark, splits, tmp_path, torch.device("cpu"), require_all=True, flags=_flags())


def test_weights_trained_on_another_copy_of_a_benchmark_are_scored_with_one_warning(tmp_path, tiny_data_dir, tiny_splits, caplog):
    """SumMe's splits name the same videos in every copy of its file: another copy (here a record saying synthetic data
    of another digest) is scored, with one warning naming both files; a record without a digest says nothing."""
    torch.manual_seed(2)
    record = {**_record("CA-SUM", CASumConfig(), "min-loss"), "data_file": "/elsewhere/summe.h5", "synthetic_data": True,
              "run": {"data_file": "0" * 64}}
    for split in (1, 2):
        _weights(tmp_path, "SumMe", split, method_spec("CA-SUM").build(), record)
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    splits = read_splits(tiny_splits["SumMe"])
    result = evaluate_weights(benchmark, splits, tmp_path, torch.device("cpu"), require_all=True, flags=_flags())
    assert [split.split for split in result.splits] == [1, 2]
    warnings = [r.getMessage() for r in caplog.records if "trained on /elsewhere/summe.h5 (synthetic)" in r.getMessage()]
    assert len(warnings) == 1 and str(benchmark.h5_path) in warnings[0]
