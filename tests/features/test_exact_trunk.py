"""The exact batched trunk equals one-frame passes bit for bit, and refuses kernels that round differently."""

import numpy as np
import pytest
import torch
from torch import nn
from torchvision.models import googlenet

from features import exact_trunk
from features.exact_trunk import ExactBatchedTrunk, intra_op_threads, max_pool


@pytest.fixture(scope="module")
def net():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return googlenet(weights=None, aux_logits=False, init_weights=False).eval()


@pytest.fixture(scope="module")
def crops():
    """Smaller than the real 224 x 224 crops, for speed (tests/features/test_embedder.py runs those)."""
    generator = torch.Generator().manual_seed(1)
    return torch.randn(4, 3, 64, 64, generator=generator)


def one_frame_features(net, crops):
    """The reference's pass: the network's children up to the average pool, one frame per call, L2-normalised."""
    sequential = nn.Sequential(*list(net.children())[:-2]).eval()
    out = []
    with torch.no_grad():
        for crop in crops:
            feature = sequential(crop.unsqueeze(0)).squeeze()
            out.append((feature / (torch.norm(feature) + 1e-10)).numpy())
    return np.stack(out)


@pytest.mark.parametrize("size", [(7, 7), (14, 14), (15, 9), (28, 28), (112, 112), (13, 8)], ids=str)
@pytest.mark.parametrize("kernel, stride, padding, ceil_mode", [(3, 2, 0, True), (3, 1, 1, True), (2, 2, 0, False), (3, 2, 1, False), (3, 3, 1, True)])
def test_max_pool_equals_pytorchs(size, kernel, stride, padding, ceil_mode):
    pool = nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
    x = torch.randn(2, 4, *size, generator=torch.Generator().manual_seed(2))
    assert torch.equal(max_pool(x, pool), pool(x))


def test_batches_equal_one_frame_passes_bit_for_bit(net, crops):
    trunk = ExactBatchedTrunk(net)
    expected = one_frame_features(net, crops)
    np.testing.assert_array_equal(trunk(crops[:3]).numpy(), expected[:3])  # first batch of 3: checked, then planned
    np.testing.assert_array_equal(trunk(crops[1:4]).numpy(), expected[1:4])
    np.testing.assert_array_equal(trunk(crops[:2]).numpy(), expected[:2])  # a new size is checked on its own
    assert set(trunk.plans) == {(3, torch.get_num_threads()), (2, torch.get_num_threads())}


def test_a_single_threaded_worker_still_matches_the_reference_thread_count(net, crops):
    trunk = ExactBatchedTrunk(net, reference_threads=torch.get_num_threads())
    with intra_op_threads(1):
        ours = trunk(crops[:3]).numpy()
        assert torch.get_num_threads() == 1
    np.testing.assert_array_equal(ours, one_frame_features(net, crops[:3]))


def test_a_kernel_that_rounds_differently_is_not_used(net, crops, monkeypatch):
    def onednn_off_by_a_rounding(conv, x):
        out = exact_trunk._onednn_conv(conv, x)
        return torch.nextafter(out, torch.full_like(out, np.inf))

    monkeypatch.setitem(exact_trunk.CONV_KERNELS, "onednn", onednn_off_by_a_rounding)
    trunk = ExactBatchedTrunk(net)
    np.testing.assert_array_equal(trunk(crops[:2]).numpy(), one_frame_features(net, crops[:2]))
    plan = trunk.plans[(2, torch.get_num_threads())]
    assert "onednn" not in plan.values()
    assert "frame by frame" in plan.values()  # the convolutions only oneDNN matched (conv1, 7 x 7) now run frame by frame
    np.testing.assert_array_equal(trunk(crops[2:4]).numpy(), one_frame_features(net, crops[2:4]))


def test_the_plan_assumed_from_one_frame_calls_gives_their_features(net, crops):
    assumed = ExactBatchedTrunk(net)
    np.testing.assert_array_equal(assumed.one_frame_features(crops[:3]).numpy(), one_frame_features(net, crops[:3]))
    assert assumed.assume_plan(3, 1)
    plan = assumed.plans[(3, 1)]
    assert plan[net.conv1.conv] == "onednn" and plan[net.inception3a.branch2[1].conv] == "native"  # PyTorch's picks for one frame
    with intra_op_threads(1):
        np.testing.assert_array_equal(assumed(crops[1:4]).numpy(), one_frame_features(net, crops[1:4]))
    assumed.forget_plan(3, 1)
    assert not assumed.has_plan(3, 1)


def test_no_plan_is_assumed_without_pytorchs_choice(net, crops, monkeypatch):
    monkeypatch.delattr(torch._C, "_select_conv_backend")
    trunk = ExactBatchedTrunk(net)
    np.testing.assert_array_equal(trunk.one_frame_features(crops[:2]).numpy(), one_frame_features(net, crops[:2]))
    assert not trunk.assume_plan(2, 1)
    assert not trunk.has_plan(2, 1)
