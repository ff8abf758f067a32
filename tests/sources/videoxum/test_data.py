"""VideoXum streamed for training and scoring, and the model sized from the feature dimension."""

import dataclasses

import numpy as np
import pytest
import torch

from config import CASumConfig, EncodingWay, ModelConfig, ModelConfigError, PGLSumConfig
from dataset.videoxum import VideoXumSplit
from dataset.videoxum_synthetic import SyntheticVideoXumConfig, write_synthetic_videoxum
from engine.evaluate.model_scores import to_device
from engine.train.epoch import train_epoch_accumulated
from engine.train.run_config import sized_for_features
from evaluation.v2v import evaluate_video_v2v, mean_v2v
from models.methods import Loss, method_spec
from sources.videoxum.data import (
    StreamedTrainingVideos,
    VideoXumFiles,
    mean_score_v2v,
    mean_scores,
    stream_records,
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    cfg = SyntheticVideoXumConfig(n_videos=8, features="tiny", dim=32, median_seconds=8, min_seconds=6, max_seconds=12)
    root = write_synthetic_videoxum(tmp_path_factory.mktemp("vx") / "vx", cfg, progress=False)
    return VideoXumFiles(root, "tiny", workers=0).open()


def test_the_three_splits_open_with_their_annotation_files(data):
    assert (len(data.train), len(data.val), len(data.test)) == (5, 1, 2)
    assert data.files.annotation_files() == [split.annotation_path(data.files.data_dir) for split in VideoXumSplit]


@pytest.mark.parametrize("workers", [0, 1])
def test_a_stream_hands_over_the_videos_in_the_order_asked(data, workers):
    order = [3, 0, 4]
    records = list(stream_records(data.train, order, workers))
    assert [r.key for r in records] == [data.train.keys[i] for i in order]
    for record, index in zip(records, order, strict=True):
        np.testing.assert_array_equal(record.features, data.train[index].features)


def test_the_epoch_loop_streams_as_it_runs_on_a_list(data):
    """The same model, order and losses from a VideoStream as from the videos held in memory."""
    spec = method_spec("PGL-SUM")
    config = sized_for_features(spec.default_config(), 32)
    runs = []
    for videos in (to_device([data.train[i] for i in range(len(data.train))], torch.device("cpu")),
                   StreamedTrainingVideos(data.train, torch.device("cpu"), workers=0)):
        torch.manual_seed(0)
        model = spec.build(config)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss = train_epoch_accumulated(model, optimizer, videos, Loss.GTSCORE_MSE, 2, order=[4, 2, 0, 1, 3])
        runs.append((loss, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_scoring_a_split_is_the_v2v_protocol_of_each_video(data):
    torch.manual_seed(0)
    model = method_spec("PGL-SUM").build(sized_for_features(PGLSumConfig(), 32)).eval()
    means = mean_score_v2v(model, data.test, torch.device("cpu"), workers=0)
    expected = []
    for record in (data.test[i] for i in range(len(data.test))):
        with torch.no_grad():
            scores = model(torch.from_numpy(record.features)).numpy()
        expected.append(evaluate_video_v2v(scores, record.user_summary, record.key))
    assert means == mean_v2v(expected)


def test_mean_scores_are_each_videos_mean_predicted_score_in_the_files_order(data):
    """What CA-SUM's choice among sigmas compares on VideoXum (its validation split), streamed."""
    torch.manual_seed(0)
    model = method_spec("CA-SUM").build(sized_for_features(CASumConfig(), 32)).train()
    means = mean_scores(model, data.val, torch.device("cpu"), workers=0)
    with torch.no_grad():
        expected = [float(model.eval()(torch.from_numpy(data.val[i].features)).mean()) for i in range(len(data.val))]
    assert means == pytest.approx(expected, rel=1e-6)


def test_csta_sized_for_768_features_keeps_its_trunk_and_resizes_what_reads_the_features():
    config = sized_for_features(ModelConfig(), 768)
    model = method_spec("CSTA").build(config)
    assert model.CLS.shape == (1, 3, 1, 768)
    assert model.key_embedding.weight.shape == (1024, 768) and model.value_embedding.weight.shape == (1024, 768)
    assert model.linear1[0].weight.shape == (1024, 1024)  # the head reads the trunk's width
    assert model(torch.randn(20, 768)).shape == (20,)


def test_a_csta_variant_that_cannot_change_width_is_refused():
    with pytest.raises(ModelConfigError, match="only GoogleNet fits|1024"):
        sized_for_features(dataclasses.replace(ModelConfig(), positional_encoding_way=EncodingWay.TRANSFORMER), 768)


def test_pgl_and_ca_sum_follow_the_input_width_unless_told_otherwise():
    assert sized_for_features(PGLSumConfig(), 768).hidden_dim == 768
    assert sized_for_features(CASumConfig(), 512) == CASumConfig(feature_dim=512, hidden_dim=512)
    assert sized_for_features(CASumConfig(hidden_dim=256), 512).hidden_dim == 256
