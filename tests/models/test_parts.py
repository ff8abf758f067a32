"""The parts a variant is composed of (models/parts.py), on known answers."""

import pytest
import torch

from config import Balance, ClsMix, ModelConfig, Scale, SoftmaxAxis
from models.parts import AttentionMaps, ClsToken, Maps, _balanced_side, plan_parts, pool_steps


def test_pooling_t_plus_one_rows_to_t_averages_neighbours():
    x = torch.tensor([[0.0, 10.0], [2.0, 20.0], [4.0, 40.0]])
    assert torch.equal(pool_steps(x, 2, 2), torch.tensor([[1.0, 15.0], [3.0, 30.0]]))
    stack = torch.stack([x, 2 * x])
    assert torch.equal(pool_steps(stack, 2, 2)[1], 2 * pool_steps(x, 2, 2))
    # to another width too (CLS_mix CNN averages the 1024-d input to the CNN's width)
    assert torch.equal(pool_steps(x, 3, 1), torch.tensor([[5.0], [11.0], [22.0]]))


@pytest.mark.parametrize("n_steps", [1, 2, 3, 300, 4999])
def test_pooling_one_row_away_is_torchs_adaptive_pooling_bit_for_bit(n_steps):
    generator = torch.Generator().manual_seed(n_steps)
    stack = torch.randn(3, n_steps + 1, 64, generator=generator) * 1e3
    expected = torch.nn.functional.adaptive_avg_pool2d(stack, (n_steps, 64))
    assert torch.equal(pool_steps(stack, n_steps, 64), expected)
    assert torch.equal(pool_steps(stack[0], n_steps, 64), expected[0])


@pytest.mark.parametrize(
    ("balance", "rows", "width", "side"),
    [
        (None, 5, 9, None),
        (Balance.T, 5, 9, SoftmaxAxis.T),
        (Balance.D, 9, 5, SoftmaxAxis.D),
        (Balance.BD, 9, 5, SoftmaxAxis.D),  # T > D: the feature map times D/T
        (Balance.BD, 5, 9, SoftmaxAxis.T),  # T < D: the temporal map times T/D
        (Balance.BU, 9, 5, SoftmaxAxis.T),  # T > D: the temporal map times T/D
        (Balance.BU, 5, 9, SoftmaxAxis.D),
        (Balance.BD, 7, 7, None),
        (Balance.BU, 7, 7, None),
    ],
)
def test_balance_multiplies_the_reference_map(balance, rows, width, side):
    assert _balanced_side(balance, rows, width) is side


def test_weighing_with_balance_t():
    value, over_time, over_features = torch.full((2, 4), 2.0), torch.full((2, 4), 3.0), torch.full((2, 4), 5.0)
    maps = AttentionMaps(None, SoftmaxAxis.TD, Balance.T)
    assert torch.equal(maps.weigh(value, Maps(over_time, over_features), value), torch.full((2, 4), 2 * 3 * 0.5 + 2 * 5.0))
    assert torch.equal(AttentionMaps(None, None, None).weigh(value, Maps(None, None), over_time), value * over_time)


def test_scale_divides_by_the_root_of_the_axis_length():
    attention = torch.ones(4, 9)
    assert torch.equal(AttentionMaps(None, SoftmaxAxis.TD, None).scaled(attention), attention)
    assert torch.equal(AttentionMaps(Scale.D, SoftmaxAxis.TD, None).scaled(attention), attention / 3.0)
    assert torch.equal(AttentionMaps(Scale.T, SoftmaxAxis.TD, None).scaled(attention), attention / 2.0)
    assert torch.equal(AttentionMaps(Scale.T_D, SoftmaxAxis.TD, None).scaled(attention), attention / 6.0)


def test_maps_apply_in_time_then_feature_order():
    seen = []
    Maps(torch.zeros(1), torch.ones(1)).each(lambda m: seen.append(float(m[0])) or m)
    assert seen == [0.0, 1.0]
    assert Maps(None, torch.ones(1)).each(lambda m: m + 1).over_time is None


def test_cls_token_acts_once_at_its_mix_point():
    attention, stack = torch.rand(5, 3), torch.rand(1, 3, 5, 3)
    cnn, final = ClsToken(ClsMix.CNN), ClsToken(ClsMix.FINAL)
    assert cnn.after_cnn(attention, stack, 4)[0].shape == (4, 3) and cnn.at_end(attention, 4) is attention
    assert final.after_cnn(attention, stack, 4) == (attention, stack) and final.at_end(attention, 4).shape == (4, 3)
    assert ClsToken(None).on_value(attention, 4, 3) is attention


def test_released_plan():
    parts = plan_parts(ModelConfig())
    assert parts.cls.mix is ClsMix.FINAL and parts.way.encode and parts.way.dropout
    assert parts.embeddings.embed_key and parts.embeddings.embed_value
    assert parts.skip.normalise and parts.head.classifier and parts.maps.axis is SoftmaxAxis.TD
