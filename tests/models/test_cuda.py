"""CUDA paths; skipped on machines without a GPU (CI has none)."""

import pytest
import torch

from config import DATASETS, TrainConfig
from dataset import load_benchmark, read_splits
from engine.evaluate.model_scores import evaluate_model, to_device
from engine.train.loop import train_split
from evaluation.protocol import mean_metrics
from models.backbone import BackboneInit
from models.checkpoint import load_checkpoint
from models.csta import build_csta

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def test_scores_agree_between_cpu_and_cuda():
    torch.manual_seed(0)
    model = build_csta(BackboneInit.RANDOM).eval()
    features = torch.rand(300, 1024)
    with torch.no_grad():
        on_cpu = model(features)
        on_gpu = model.cuda()(features.cuda()).cpu()
    torch.testing.assert_close(on_gpu, on_cpu, atol=1e-4, rtol=1e-4)


def test_train_on_cuda_evaluate_on_both(tiny_data_dir, tiny_splits, tmp_path):
    benchmark = load_benchmark(DATASETS["TVSum"], tiny_data_dir)
    split = read_splits(tiny_splits["TVSum"])[0]
    result = train_split(benchmark, split, TrainConfig(epochs=2, imagenet_init=False), torch.device("cuda"), tmp_path)
    metrics = {}
    for device in ("cpu", "cuda"):
        model = build_csta(BackboneInit.RANDOM)
        load_checkpoint(model, result.weights_path)
        model.to(device)
        videos = to_device(benchmark.subset(split.test_keys), torch.device(device))
        metrics[device] = mean_metrics(evaluate_model(model, videos, benchmark.spec))
    assert metrics["cuda"].kendall == pytest.approx(result.metrics.kendall, abs=1e-6)
    assert metrics["cpu"].kendall == pytest.approx(metrics["cuda"].kendall, abs=1e-3)
    assert metrics["cpu"].spearman == pytest.approx(metrics["cuda"].spearman, abs=1e-3)
