import math

import pytest
import torch

from models.pgl_sum import (
    Fusion,
    MethodConfigError,
    PGLSumConfig,
    PositionalEncoding,
    absolute_positions,
    build_pgl_sum,
    relative_positions,
)
from utils.errors import ProjectError


def official_layout(heads=8, segments=4, local_heads=4, dim=1024):
    """The keys and shapes of the official PGL_SUM state_dict, in their registration order."""
    keys = {}

    def attention(prefix, width, n_heads):
        for projection in ("Wk", "Wq", "Wv"):
            for head in range(n_heads):
                keys[f"{prefix}.{projection}.{head}.weight"] = (width // n_heads, dim)
        keys[f"{prefix}.out.weight"] = (dim, width)

    attention("attention.attention", dim, heads)
    for segment in range(segments or 0):
        attention(f"attention.local_attention.{segment}", dim // segments, local_heads)
    keys.update({
        "linear_1.weight": (dim, dim), "linear_1.bias": (dim,), "linear_2.weight": (1, dim), "linear_2.bias": (1,),
        "norm_y.weight": (dim,), "norm_y.bias": (dim,), "norm_linear.weight": (dim,), "norm_linear.bias": (dim,),
    })
    return keys


SMALL = {"feature_dim": 64, "hidden_dim": 64}  # the paper's structure (8 heads, 4 segments x 4 heads) at a test's width


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_pgl_sum().eval()


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    return build_pgl_sum(PGLSumConfig(**SMALL)).eval()


def test_state_dict_is_the_official_layout_in_order(model):
    state = model.state_dict()
    expected = official_layout()
    assert len(expected) == 85
    assert [(k, tuple(v.shape)) for k, v in state.items()] == list(expected.items())


@pytest.mark.parametrize(("heads", "segments"), [(1, None), (2, 2), (8, 8)])
def test_other_architectures_keep_the_official_layout(heads, segments):
    state = build_pgl_sum(PGLSumConfig(heads=heads, num_segments=segments)).state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == official_layout(heads, segments)


def test_initialisation_is_the_authors(model):
    fresh = build_pgl_sum()
    assert torch.all(fresh.linear_1.bias == 0.1) and torch.all(fresh.linear_2.bias == 0.1)
    assert torch.all(fresh.norm_y.bias == 0.1) and torch.all(fresh.norm_linear.bias == 0.1)  # their name test hits these
    assert torch.all(fresh.norm_y.weight == 1)
    bound = math.sqrt(2.0) * math.sqrt(6.0 / (1024 + 128))  # xavier-uniform, gain sqrt(2), a global head's Wk
    weight = fresh.attention.attention.Wk[0].weight
    assert weight.abs().max() <= bound and weight.abs().max() > 0.9 * bound


def test_same_seed_same_weights():
    torch.manual_seed(5)
    first = build_pgl_sum(PGLSumConfig(**SMALL)).state_dict()
    torch.manual_seed(5)
    second = build_pgl_sum(PGLSumConfig(**SMALL)).state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("n_steps", [1, 2, 3, 5, 7, 13, 61])
def test_scores_shape_and_range(model, n_steps):
    # 2 and 3 steps are fewer than the 4 segments: some segments are empty
    scores = model(torch.rand(n_steps, 1024))
    assert scores.shape == (n_steps,)
    assert torch.all((scores > 0) & (scores < 1))


@pytest.mark.parametrize("encoding", [None, PositionalEncoding.RELATIVE])
@pytest.mark.parametrize("fusion", list(Fusion))
def test_every_fusion_and_encoding_scores_short_and_long_videos(encoding, fusion):
    model = build_pgl_sum(PGLSumConfig(fusion=fusion, positional_encoding=encoding, **SMALL)).eval()
    for n_steps in (1, 6, 40):
        scores = model(torch.rand(n_steps, 64))
        assert scores.shape == (n_steps,) and torch.isfinite(scores).all()


def test_eval_is_deterministic_and_train_mode_draws_dropout(small):
    model = small
    features = torch.rand(30, 64)
    assert torch.equal(model(features), model(features))
    model.train()
    try:
        torch.manual_seed(1)
        first = model(features)
        torch.manual_seed(1)
        assert torch.equal(first, model(features))
        assert not torch.equal(first, model(features))
    finally:
        model.eval()


def test_without_fusion_the_local_attentions_are_unused():
    model = build_pgl_sum(PGLSumConfig(fusion=None, **SMALL)).eval()
    features = torch.rand(20, 64)
    before = model(features)
    with torch.no_grad():
        for parameter in model.attention.local_attention.parameters():
            parameter.mul_(3.0)
    assert torch.equal(before, model(features))
    assert "attention.local_attention.0.out.weight" in model.state_dict()  # still loadable


def test_absolute_positions_worked_by_hand():
    table = absolute_positions(3, dim=4, frequency=10000, device=torch.device("cpu"))
    expected = torch.tensor([[math.sin(p), math.cos(p), 0.0] for p in range(3)])  # one pair: 10000^0 = 1; odd T: last column 0
    torch.testing.assert_close(table, expected)


def test_relative_positions_worked_by_hand():
    # T = 2: entry (r, c) = sin/cos((c - r + 1) / 10000^((r + c) / 4))
    table = relative_positions(2, frequency=10000, device=torch.device("cpu"))
    expected = torch.tensor([[math.sin(1.0), math.cos(2 / 10000**0.25)], [math.sin(0.0), math.cos(1 / 10000**0.5)]])
    torch.testing.assert_close(table, expected)
    assert relative_positions(0, 10000, torch.device("cpu")).shape == (0, 0)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"num_segments": 3}, "num_segments=3"), ({"num_segments": 1}, "num_segments=1"), ({"heads": 3}, "heads=3")],
)
def test_impossible_architectures_are_refused(options, message):
    with pytest.raises(MethodConfigError, match=message) as caught:
        PGLSumConfig(**options)
    assert isinstance(caught.value, ProjectError)


def test_options_round_trip_through_plain_values():
    config = PGLSumConfig(heads=4, num_segments=None, fusion=Fusion.MAX, positional_encoding=None)
    values = config.as_dict()
    assert values["fusion"] == "max" and values["positional_encoding"] is None
    assert PGLSumConfig.from_dict(values) == config
    assert PGLSumConfig.from_dict({"fusion": "Add", "positional_encoding": "Relative"}).fusion is Fusion.ADD
    with pytest.raises(MethodConfigError, match="no option block_size"):
        PGLSumConfig.from_dict({"block_size": 60})
    with pytest.raises(MethodConfigError, match="fusion is one of"):
        PGLSumConfig.from_dict({"fusion": "concat"})


def test_weights_load_strictly_into_a_fresh_model(small):
    model = small
    fresh = build_pgl_sum(PGLSumConfig(**SMALL))
    fresh.load_state_dict(model.state_dict(), strict=True)
    features = torch.rand(9, 64)
    assert torch.equal(fresh.eval()(features), model(features))
