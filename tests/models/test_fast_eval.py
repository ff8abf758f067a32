"""models/fast_eval.py: folding every trunk batch norm into its convolution keeps the scores within
1e-5 of the model's own, for every backbone, and leaves the model itself untouched."""

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

from config import Backbone, ModelConfig
from engine.ablation.grid import read_grid
from models.backbone import BACKBONES, seeded_random_backbone
from models.csta import CSTA
from models.fast_eval import (
    FAST_SCORING_BOUND,
    ChannelSharedLinear,
    PointwiseLinear,
    fold_batch_norms,
    fold_for_inference,
    frozen_copy,
)


def realistic(backbone: Backbone, seed: int = 0, config: ModelConfig | None = None) -> CSTA:
    """A CSTA (``config``, else the released variant on ``backbone``) whose batch norms hold statistics
    far from the identity, so folding them matters."""
    config = config or ModelConfig(backbone=backbone)
    torch.manual_seed(seed)
    model = CSTA(seeded_random_backbone(BACKBONES[config.backbone], seed), config).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine and module.running_mean is not None:
                module.running_mean.normal_(0, 0.2)
                module.running_var.uniform_(0.3, 3.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.2)
        if isinstance(getattr(model, "CLS", None), torch.Tensor):
            model.CLS.normal_(0, 1.0)  # a CLS row that differs per channel, as a trained one does
    return model


GRID = read_grid(Path(__file__).resolve().parents[2] / "grids" / "paper_ablation.json")


@pytest.mark.parametrize("variant", GRID, ids=[variant.slug for variant in GRID])
def test_every_variant_of_the_grid_scores_within_the_stated_bound(variant):
    """The promise of --scoring fast (FAST_SCORING_BOUND, in the README and the help) on every variant a
    user can train; bench/bench_fast_scoring_bound.py measures the same on longer videos and more seeds."""
    model = realistic(variant.config.backbone, seed=3, config=variant.config)
    fast = fold_for_inference(model)
    for features in (torch.randn(30, 1024), torch.randn(30, 1024).abs()):
        with torch.no_grad():
            exact = model(features)
        with torch.inference_mode():
            folded = fast(features)
        assert (exact - folded).abs().max().item() <= FAST_SCORING_BOUND


@pytest.mark.parametrize("backbone", list(Backbone))
def test_every_trunk_norm_is_folded_and_the_scores_stay_within_the_stated_bound(backbone):
    model = realistic(backbone)
    fast = fold_for_inference(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.trunk.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.trunk.modules())  # the original keeps its norms
    features = torch.randn(40, 1024)
    with torch.no_grad():
        exact, folded = model(features), fast(features)
    assert (exact - folded).abs().max().item() <= FAST_SCORING_BOUND
    assert exact.std() > 1e-3  # scores that vary: the comparison is not between constants


def test_the_model_itself_is_not_changed():
    model = realistic(Backbone.GOOGLENET)
    before = copy.deepcopy(model.state_dict())
    fold_for_inference(model)
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)


def test_folding_counts_googlenets_conv_norm_pairs_and_refuses_training_mode():
    net = seeded_random_backbone(BACKBONES[Backbone.GOOGLENET], 0)
    with pytest.raises(ValueError, match="eval mode"):
        fold_batch_norms(net)
    norms = sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    assert fold_batch_norms(net.eval()) == norms == 57


@pytest.mark.parametrize("differing_rows", [[], [0], [0, 5, 39]])
def test_the_channel_shared_key_embedding_equals_the_plain_layer(differing_rows):
    torch.manual_seed(1)
    linear = nn.Linear(1024, 1024)
    stack = torch.randn(40, 1024).expand(1, 3, 40, 1024).clone()
    for row in differing_rows:
        stack[0, 1:, row] = torch.randn(2, 1024)
    with torch.no_grad():
        plain, shared = linear(stack), ChannelSharedLinear(linear)(stack)
    assert shared.shape == plain.shape == (1, 3, 40, 1024)
    assert (plain - shared).abs().max().item() <= 1e-5
    flat = torch.randn(7, 1024)  # not a stack of copies: the plain layer
    assert torch.equal(ChannelSharedLinear(linear)(flat), linear(flat))


def test_the_fast_copy_embeds_the_key_once_for_the_shared_rows():
    fast = fold_for_inference(realistic(Backbone.GOOGLENET))
    assert isinstance(fast.key_embedding, ChannelSharedLinear)
    assert isinstance(fast.key_embedding.linear, PointwiseLinear)  # on a CPU: oneDNN's kernel
    assert isinstance(fast.linear1[0], PointwiseLinear) and isinstance(fast.linear2[0], nn.Linear)  # 1024 -> 1 stays


@pytest.mark.parametrize("shape", [(1, 1024), (470, 1024), (2, 3, 1024), (1, 3, 41, 1024)])
@pytest.mark.parametrize("bias", [True, False])
def test_the_pointwise_linear_is_the_linear_layer(shape, bias):
    torch.manual_seed(2)
    linear = nn.Linear(1024, 512, bias=bias)
    x = torch.randn(shape)
    with torch.no_grad():
        exact = torch.nn.functional.linear(x.double(), linear.weight.double(), None if linear.bias is None else linear.bias.double())
        plain, pointwise = linear(x), PointwiseLinear(linear)(x)
    assert pointwise.shape == plain.shape == (*shape[:-1], 512)
    assert pointwise.dtype == torch.float32
    # both are float32 products of 1024 terms: within float32 rounding of the exact sums (|values| ~ 20)
    assert (pointwise.double() - exact).abs().max().item() < 1e-4
    assert (plain - pointwise).abs().max().item() < 1e-4


def test_the_frozen_copy_has_its_own_tensors_and_leaves_the_original_trainable():
    model = realistic(Backbone.GOOGLENET).train()
    copy_ = frozen_copy(model)
    originals = {name: tensor.data_ptr() for name, tensor in model.state_dict().items()}
    copied = copy_.state_dict()
    assert copied.keys() == originals.keys()
    assert all(copied[name].data_ptr() != pointer for name, pointer in originals.items() if copied[name].numel())
    assert all(torch.equal(copied[name], tensor) for name, tensor in model.state_dict().items())
    assert not any(p.requires_grad for p in copy_.parameters()) and all(p.requires_grad for p in model.parameters())
    copy_.eval()
    assert model.training and all(module.training for module in model.modules())  # eval() on the copy only


@pytest.mark.parametrize("method", ["PGL-SUM", "CA-SUM"])
def test_methods_without_a_trunk_keep_their_linear_layers_and_their_exact_scores(method):
    from models.methods import method_spec

    torch.manual_seed(0)
    model = method_spec(method).build().eval()
    fast = fold_for_inference(model)
    assert not any(isinstance(m, PointwiseLinear) for m in fast.modules())
    features = torch.randn(60, 1024)
    with torch.inference_mode():
        assert torch.equal(model(features), fast(features))
