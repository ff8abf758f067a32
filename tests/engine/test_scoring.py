"""engine/scoring.py: features moved to the device once, and one metrics row per video."""

import numpy as np
import torch

from config import DATASETS
from dataset import load_benchmark
from engine.scoring import evaluate_model, to_device
from models.backbone import BackboneInit
from models.csta import build_csta

SUMME = DATASETS["SumMe"]


def test_to_device_keeps_each_videos_features_and_labels(tiny_data_dir):
    records = list(load_benchmark(SUMME, tiny_data_dir).videos.values())[:3]
    videos = to_device(records, torch.device("cpu"))
    assert [v.record.key for v in videos] == [r.key for r in records]
    for video, record in zip(videos, records, strict=True):
        assert video.features.shape == (len(record.features), 1024)
        np.testing.assert_array_equal(video.features.numpy(), record.features)
        np.testing.assert_array_equal(video.gtscore.numpy(), record.gtscore)


def test_evaluate_model_gives_one_row_per_video_in_order(tiny_data_dir):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    keys = tuple(reversed(list(benchmark.videos)[:3]))  # not file order: rows must follow the given order
    torch.manual_seed(0)
    model = build_csta(BackboneInit.RANDOM).eval()
    rows = evaluate_model(model, to_device(benchmark.subset(keys), torch.device("cpu")), benchmark.spec)
    assert [row.key for row in rows] == list(keys)
    assert all(0.0 <= row.f1 <= 100.0 and -1.0 <= row.kendall <= 1.0 for row in rows)
