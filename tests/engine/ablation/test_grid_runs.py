"""engine/ablation/grid_runs.py: each variant's runs in its own folder, existing weights evaluated instead of
trained again, one table cell per dataset from the weights on disk (training itself: tests/test_ablate.py)."""

import json
from dataclasses import replace

import pytest
import torch

from config import DATASETS, TrainConfig
from dataset import load_benchmark
from dataset.splits import read_splits
from engine.ablation import grid_runs as ablation
from engine.ablation.grid import read_grid
from engine.evaluate.complexity import count_parameters, meta_macs
from engine.evaluate.model_scores import evaluate_model, to_device
from evaluation.protocol import mean_metrics
from models.backbone import BackboneInit
from models.checkpoint import save_checkpoint
from models.csta import build_csta


@pytest.fixture
def job(tiny_data_dir, tiny_splits, tmp_path):
    spec = DATASETS["SumMe"]
    splits = read_splits(tiny_splits["SumMe"], spec)
    return ablation.AblationJob([(load_benchmark(spec, tiny_data_dir), splits)], [7, 8], TrainConfig(epochs=1, imagenet_init=False),
                                tmp_path / "weights", torch.device("cpu"))


@pytest.fixture
def variants(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"variants": [{"name": "released"}, {"name": "no head", "options": {"Classifier_on": "false"}}]}))
    return read_grid(grid)


def fake_training(calls):
    """Stands in for train_split: writes a model drawn from the run's seed and split where train.py would."""
    def train(benchmark, split, train_cfg, device, variant_dir, variant, seed_folder, fallback):
        calls.append((variant.name, split.number, train_cfg.seed, seed_folder))
        torch.manual_seed(train_cfg.seed * 10 + split.number)
        path = variant_dir / benchmark.spec.name / (f"seed{train_cfg.seed}" if seed_folder else "") / f"split{split.number}.pt"
        save_checkpoint(build_csta(BackboneInit.RANDOM, variant.config).state_dict(), path)
        return path
    return train


def test_runs_are_laid_out_per_variant_and_seed(job, variants):
    runs = job.runs(variants[1])
    assert [(split.number, seed) for _, split, seed, _ in runs] == [(1, 7), (2, 7), (1, 8), (2, 8)]
    assert runs[0][3] == job.weights_dir / "ablation" / "no-head" / "SumMe" / "seed7" / "split1.pt"
    single = replace(job, seeds=[7])
    assert single.runs(variants[1])[0][3] == job.weights_dir / "ablation" / "no-head" / "SumMe" / "split1.pt"


def test_missing_runs_are_trained_existing_ones_only_evaluated(job, variants, monkeypatch, caplog):
    benchmark, splits = job.data[0]
    job = replace(job, data=[(benchmark, splits[:1])], seeds=[7])
    calls = []
    monkeypatch.setattr(ablation, "train_run", fake_training(calls))
    first = ablation.run_grid(variants, job)
    assert calls == [("released", 1, 7, False), ("no head", 1, 7, False)]
    assert [(r.trained, r.skipped) for r in first] == [(1, 0), (1, 0)]

    calls.clear()
    with caplog.at_level("INFO"):
        again = ablation.run_grid(variants, job)
    assert calls == [] and [(r.trained, r.skipped) for r in again] == [(0, 1), (0, 1)]
    assert "weights exist, not trained again" in caplog.text
    for a, b in zip(first, again, strict=True):
        assert a.datasets["SumMe"].spread == b.datasets["SumMe"].spread


def test_cells_are_the_weights_metrics_over_splits_then_seeds(job, variants, monkeypatch):
    benchmark, splits = job.data[0]
    splits = splits[:1]
    job = replace(job, data=[(benchmark, splits)])
    monkeypatch.setattr(ablation, "train_run", fake_training([]))
    result = ablation.run_variant(variants[1], job)
    model = build_csta(BackboneInit.RANDOM, variants[1].config)
    per_seed = []
    for seed in job.seeds:
        per_split = []
        for split in splits:
            model.load_state_dict(torch.load(job.weights_path(variants[1], "SumMe", split.number, seed)))
            per_split.append(mean_metrics(evaluate_model(model, to_device(benchmark.subset(split.test_keys), job.device), benchmark.spec)))
        per_seed.append(mean_metrics(per_split))
    cell = result.datasets["SumMe"]
    assert cell.spread.per_seed == tuple(per_seed) and cell.spread.seeds == (7, 8)
    assert cell.spread.mean.kendall == pytest.approx((per_seed[0].kendall + per_seed[1].kendall) / 2)
    assert cell.synthetic
    assert cell.mean_macs == meta_macs(variants[1].config, [v.n_steps for v in benchmark.videos.values()]).mean
    assert result.parameters == count_parameters(model)
