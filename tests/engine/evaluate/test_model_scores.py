"""engine/evaluate/model_scores.py: features moved to the device once, and one metrics row per video."""

import numpy as np
import torch

from config import DATASETS, Backbone
from dataset import load_benchmark
from engine.evaluate.model_scores import Scorer, ScoringRoute, evaluate_model, to_device
from models.backbone import BackboneInit
from models.csta import build_csta, predict_scores
from tests.models.test_fast_eval import realistic

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


def _varied_model():
    """A model with batch-norm statistics far from the identity (what a trained trunk has)."""
    return realistic(Backbone.GOOGLENET, seed=3)


def test_the_exact_route_is_the_models_own_forward_bit_for_bit(tiny_data_dir):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    model = _varied_model()
    scorer = Scorer(model)
    assert scorer.route is ScoringRoute.EXACT and scorer.model is model
    for video in to_device(list(benchmark.videos.values())[:2], torch.device("cpu")):
        with torch.no_grad():
            np.testing.assert_array_equal(scorer(video.features), model(video.features).numpy())
        np.testing.assert_array_equal(scorer(video.features), predict_scores(model, video.features))


def test_the_fast_route_is_within_1e_5_and_gives_the_same_metrics(tiny_data_dir):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    model = _varied_model()
    videos = to_device(list(benchmark.videos.values())[:4], torch.device("cpu"))
    exact, fast = Scorer(model, ScoringRoute.EXACT), Scorer(model, ScoringRoute.FAST)
    for video in videos:
        assert np.abs(exact(video.features) - fast(video.features)).max() <= 1e-5
    rows = {route: evaluate_model(model, videos, SUMME, route) for route in ScoringRoute}
    for a, b in zip(rows[ScoringRoute.EXACT], rows[ScoringRoute.FAST], strict=True):
        assert (round(a.kendall, 3), round(a.spearman, 3)) == (round(b.kendall, 3), round(b.spearman, 3))
