import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision.models import GoogLeNet_Weights, googlenet

from models.backbone import BackboneWeightsUnavailable
from models.checkpoint import CheckpointMismatch
from summarize.embedder import BackboneSource, load_frame_embedder


def reference_style_features(frames):
    """Features as the reference pipeline computes them: one frame at a time, the network's
    children up to the average pool, then L2 normalisation."""
    weights = GoogLeNet_Weights.IMAGENET1K_V1
    net = nn.Sequential(*list(googlenet(weights=weights).children())[:-2]).eval()
    out = []
    with torch.no_grad():
        for frame in frames:
            x = net(weights.transforms()(Image.fromarray(frame)).unsqueeze(0)).squeeze()
            out.append((x / (torch.norm(x) + 1e-10)).numpy())
    return np.stack(out)


@pytest.fixture
def frames():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (90, 160, 3), dtype=np.uint8) for _ in range(3)]


def test_reference_layout_one_frame_per_batch_is_bit_identical(stand_in_torch_home, frames):
    embedder = load_frame_embedder(BackboneSource.IMAGENET, torch.device("cpu"))
    assert "STAND-IN" in embedder.description
    embedder.match_reference_exactly(True)
    ours = np.concatenate([embedder.embed([embedder.preprocess(f)]) for f in frames])
    np.testing.assert_array_equal(ours, reference_style_features(frames))


def test_fast_layout_in_batches_is_equal_up_to_rounding(stand_in_torch_home, frames):
    embedder = load_frame_embedder(BackboneSource.IMAGENET, torch.device("cpu"))
    embedder.match_reference_exactly(False)
    ours = embedder.embed([embedder.preprocess(f) for f in frames])
    assert ours.shape == (3, 1024) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference_style_features(frames), atol=1e-6)


def test_missing_imagenet_file_says_where_it_goes(offline_empty_torch_home):
    with pytest.raises(BackboneWeightsUnavailable, match="hub/checkpoints/googlenet-1378be20.pth"):
        load_frame_embedder(BackboneSource.IMAGENET, torch.device("cpu"))


def test_backbone_file_must_be_a_googlenet(tmp_path):
    bad = tmp_path / "bad.pth"
    torch.save({"conv1.conv.weight": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="bad.pth"):
        load_frame_embedder(BackboneSource.FILE, torch.device("cpu"), bad)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_frame_embedder(BackboneSource.FILE, torch.device("cpu"), tmp_path / "missing.pth")


@pytest.mark.parametrize("content", [[1, 2, 3], {"net": {}, "epoch": 3}])
def test_a_backbone_file_that_is_not_a_state_dict_is_named(tmp_path, content):
    path = tmp_path / "backbone.pth"
    torch.save(content, path)
    with pytest.raises(CheckpointMismatch, match="backbone.pth"):
        load_frame_embedder(BackboneSource.FILE, torch.device("cpu"), path)
