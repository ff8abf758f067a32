import json

import pytest
import torch

from config import DATASETS, TrainConfig
from dataset import load_benchmark, read_splits
from engine.evaluate.model_scores import evaluate_model, to_device
from engine.train import loop as training
from engine.train.epoch import RuleKeeper
from evaluation.protocol import MeanMetrics, mean_metrics
from models.backbone import BackboneInit
from models.checkpoint import load_checkpoint
from models.csta import build_csta
from tests.conftest import stop_in_epoch

SUMME = DATASETS["SumMe"]


def test_short_run_lowers_loss_and_writes_loadable_weights(tiny_data_dir, tiny_splits, stand_in_torch_home, tmp_path):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    result = training.train_split(benchmark, split, TrainConfig(epochs=5, seed=7), torch.device("cpu"), tmp_path / "weights")
    assert result.weights_path == tmp_path / "weights" / "SumMe" / "split1.pt"
    assert [record.epoch for record in result.history] == [1, 2, 3, 4, 5]
    assert result.history[-1].loss < 0.85 * result.history[0].loss

    # the file loads into a fresh model and reproduces the kept epoch's test metrics
    loaded = build_csta(BackboneInit.RANDOM)
    load_checkpoint(loaded, result.weights_path)
    test_videos = to_device(benchmark.subset(split.test_keys), torch.device("cpu"))
    again = mean_metrics(evaluate_model(loaded, test_videos, benchmark.spec))
    assert again.kendall == pytest.approx(result.metrics.kendall)
    assert again.f1 == pytest.approx(result.metrics.f1)

    record = json.loads(result.weights_path.with_suffix(".json").read_text())
    assert record["synthetic_data"] is True
    assert "STAND-IN" in record["backbone"]
    assert record["best_epoch"] == result.best_epoch
    assert len(record["history"]) == 5


def test_selected_epoch_weights_are_the_ones_written(tiny_data_dir, tiny_splits, tmp_path, monkeypatch):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    scripted = iter([(0.1, 0.1), (0.3, 0.3), (0.4, 0.2), (0.2, 0.5)])  # epoch 2 is the last to improve both
    snapshots = {}

    def scripted_metrics(rows):
        tau, rho = next(scripted)
        return MeanMetrics(50.0, tau, rho)

    original_offer = RuleKeeper.offer

    def recording_offer(self, model, *args):
        snapshots[len(self.losses) + 1] = {k: v.clone() for k, v in model.state_dict().items()}
        return original_offer(self, model, *args)

    monkeypatch.setattr(training, "mean_metrics", scripted_metrics)
    monkeypatch.setattr(RuleKeeper, "offer", recording_offer)
    result = training.train_split(benchmark, split, TrainConfig(epochs=4, imagenet_init=False), torch.device("cpu"), tmp_path)
    assert result.best_epoch == 2
    assert [r.kept for r in result.history] == [True, True, False, False]
    saved = torch.load(result.weights_path, weights_only=True)
    assert torch.equal(saved["linear2.0.weight"], snapshots[2]["linear2.0.weight"])
    assert not torch.equal(saved["linear2.0.weight"], snapshots[4]["linear2.0.weight"])


def test_interrupted_run_keeps_previous_weights_and_leaves_no_partial_file(tiny_data_dir, tiny_splits, tmp_path, monkeypatch):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    folder = tmp_path / "SumMe"
    folder.mkdir()
    (folder / "split1.pt").write_bytes(b"previous weights")
    stop_in_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        training.train_split(benchmark, split, TrainConfig(epochs=3, imagenet_init=False), torch.device("cpu"), tmp_path)
    assert (folder / "split1.pt").read_bytes() == b"previous weights"
    assert sorted(p.name for p in folder.iterdir()) == ["split1.pt", "split1.run"]  # the run's checkpoint, to resume from
    assert [p.name for p in (folder / "split1.run").iterdir()] == ["checkpoint.pt"]
