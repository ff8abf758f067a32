import math

import pytest
import torch

from models.ca_sum import (
    CASumConfig,
    ConcentratedAttention,
    block_mask,
    build_ca_sum,
    dependency_factor,
    normalised_entropy,
)
from models.pgl_sum import MethodConfigError

# The official CA_SUM state_dict, in registration order.
OFFICIAL_LAYOUT = [
    ("attention.Wk.weight", (1024, 1024)),
    ("attention.Wq.weight", (1024, 1024)),
    ("attention.Wv.weight", (1024, 1024)),
    ("attention.out.weight", (1024, 1026)),  # + uniqueness and dependency factor
    ("linear_1.weight", (1024, 1024)),
    ("linear_1.bias", (1024,)),
    ("linear_2.weight", (1, 1024)),
    ("linear_2.bias", (1,)),
    ("norm_y.weight", (1024,)),
    ("norm_y.bias", (1024,)),
    ("norm_linear.weight", (1024,)),
    ("norm_linear.bias", (1024,)),
]


SMALL = {"feature_dim": 64, "hidden_dim": 64}


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_ca_sum().eval()


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    return build_ca_sum(CASumConfig(**SMALL)).eval()


def test_state_dict_is_the_official_layout_in_order(model):
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == OFFICIAL_LAYOUT


def test_initialisation_is_the_authors(model):
    fresh = build_ca_sum()
    assert torch.all(fresh.linear_1.bias == 0.1) and torch.all(fresh.norm_linear.bias == 0.1)
    bound = math.sqrt(2.0) * math.sqrt(6.0 / (1026 + 1024))
    assert fresh.attention.out.weight.abs().max() <= bound


def test_block_mask_worked_by_hand():
    expected = torch.tensor([
        [1, 1, 0, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 0, 0, 1],  # the last block is short
    ], dtype=torch.float32)  # fmt: skip
    assert torch.equal(block_mask(5, 2, torch.device("cpu")), expected)


def test_normalised_entropy():
    assert torch.allclose(normalised_entropy(torch.zeros(4, 4)), torch.ones(4))  # uniform rows: maximal
    peaked = torch.tensor([[50.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 50.0]])
    assert normalised_entropy(peaked)[0] < 1e-6 and normalised_entropy(peaked)[1] == pytest.approx(1.0)
    assert normalised_entropy(torch.zeros(1, 1)).item() == 0.0  # one step: no division by log 1


def test_dependency_factor_worked_by_hand():
    # T = 3, blocks {0, 1} and {2}
    inside = block_mask(3, 2, torch.device("cpu"))
    weights = torch.tensor([[0.5, 0.2, 0.3], [0.1, 0.1, 0.8], [0.6, 0.2, 0.2]])
    diversity = torch.tensor([[0.0, 0.4, 0.5], [0.4, 0.0, 0.9], [0.5, 0.9, 0.0]])
    # steps 0 and 1 see only step 2 outside: the diversity cancels, their factor is the attention paid to it;
    # step 2 sees steps 0 and 1: (0.5 * 0.6 + 0.9 * 0.2) / (0.5 + 0.9)
    expected = torch.tensor([0.3, 0.8, (0.5 * 0.6 + 0.9 * 0.2) / 1.4])
    torch.testing.assert_close(dependency_factor(weights, diversity, inside), expected)


def test_dependency_factor_is_zero_when_nothing_lies_outside_the_block():
    inside = block_mask(4, 60, torch.device("cpu"))
    factor = dependency_factor(torch.full((4, 4), 0.25, requires_grad=True), torch.rand(4, 4), inside)
    assert torch.equal(factor, torch.zeros(4))
    factor.sum().backward()  # no NaN gradient from the guarded division


def test_concentrated_attention_adds_each_columns_factor_inside_blocks():
    # zero Q and K: uniform attention 1/T, so every factor is 1/T and each kept entry is 2/T
    attention = ConcentratedAttention(feature_dim=2, hidden_dim=2, block_size=2)
    with torch.no_grad():
        attention.Wq.weight.zero_()
        attention.Wk.weight.zero_()
        attention.Wv.weight.copy_(torch.eye(2))
        attention.out.weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]))  # keep the values only
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    expected = (2 / 3) * block_mask(3, 2, torch.device("cpu")) @ x
    torch.testing.assert_close(attention(x), expected)


@pytest.mark.parametrize("n_steps", [1, 2, 59, 60, 61, 121])
def test_scores_shape_and_range(model, n_steps):
    # up to 60 steps (one block) the official model returns NaN; here the scores are numbers
    scores = model(torch.rand(n_steps, 1024))
    assert scores.shape == (n_steps,)
    assert torch.all((scores > 0) & (scores < 1))


def test_block_size_not_dividing_the_video():
    model = build_ca_sum(CASumConfig(block_size=7, **SMALL)).eval()
    scores = model(torch.rand(30, 64))
    assert scores.shape == (30,) and torch.isfinite(scores).all()


def test_eval_is_deterministic_and_train_mode_draws_dropout(small):
    model = small
    features = torch.rand(70, 64)
    assert torch.equal(model(features), model(features))
    model.train()
    try:
        torch.manual_seed(3)
        first = model(features)
        torch.manual_seed(3)
        assert torch.equal(first, model(features))
        assert not torch.equal(first, model(features))
    finally:
        model.eval()


def test_options():
    with pytest.raises(MethodConfigError, match="block_size=0"):
        CASumConfig(block_size=0)
    assert CASumConfig.from_dict(CASumConfig(block_size=30).as_dict()) == CASumConfig(block_size=30)
    with pytest.raises(MethodConfigError, match="CA-SUM has no option heads"):
        CASumConfig.from_dict({"heads": 8})


def test_weights_load_strictly_into_a_fresh_model(small):
    model = small
    fresh = build_ca_sum(CASumConfig(**SMALL))
    fresh.load_state_dict(model.state_dict(), strict=True)
    features = torch.rand(65, 64)
    assert torch.equal(fresh.eval()(features), model(features))
