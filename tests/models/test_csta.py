import math

import pytest
import torch

from config import ModelConfig
from models.backbone import BackboneInit
from models.csta import build_csta
from models.positional import FixedPositionalEncoding, sinusoid_table

# Reference section 3: the released checkpoints' keys outside the GoogLeNet, with shapes.
REFERENCE_HEAD_KEYS = {
    "Positional_encoding_op.pe": (5000, 1024),
    "CLS": (1, 3, 1, 1024),
    "key_embedding.weight": (1024, 1024),
    "key_embedding.bias": (1024,),
    "value_embedding.weight": (1024, 1024),
    "value_embedding.bias": (1024,),
    "layernorm1.weight": (1,),
    "layernorm1.bias": (1,),
    "layernorm1.running_mean": (1,),
    "layernorm1.running_var": (1,),
    "layernorm1.num_batches_tracked": (),
    "linear1.0.weight": (1024, 1024),
    "linear1.0.bias": (1024,),
    "linear1.3.weight": (1024,),
    "linear1.3.bias": (1024,),
    "linear2.0.weight": (1, 1024),
    "linear2.0.bias": (1,),
}
TRUNK_PREFIXES = ("conv1.", "conv2.", "conv3.", "inception3a.", "inception3b.", "inception4a.", "inception4b.",
                  "inception4c.", "inception4d.", "inception4e.", "inception5a.", "inception5b.")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_csta(BackboneInit.RANDOM).eval()


def test_state_dict_matches_reference_layout(model):
    state = model.state_dict()
    head = {k: tuple(v.shape) for k, v in state.items() if not k.startswith("googlenet.")}
    assert head == REFERENCE_HEAD_KEYS
    trunk = [k[len("googlenet."):] for k in state if k.startswith("googlenet.")]
    assert set(trunk) - {"fc.weight", "fc.bias"} == {k for k in trunk if k.startswith(TRUNK_PREFIXES)}
    assert tuple(state["googlenet.fc.weight"].shape) == (1000, 1024)
    assert tuple(state["googlenet.fc.bias"].shape) == (1000,)
    assert not any(".aux" in k or k.startswith("googlenet.aux") for k in state)
    # conv layers of torchvision's BasicConv2d: no conv bias, BatchNorm eps 1e-3
    assert "googlenet.conv1.conv.bias" not in state
    assert model.googlenet.conv1.bn.eps == pytest.approx(1e-3)


def test_initialisation_of_head(model):
    fresh = build_csta(BackboneInit.RANDOM)
    assert torch.all(fresh.CLS == 0)
    assert torch.all(fresh.linear1[0].bias == 0.1) and torch.all(fresh.linear2[0].bias == 0.1)
    bound = math.sqrt(2.0) * math.sqrt(6.0 / (1024 + 1024))  # xavier-uniform with gain sqrt(2)
    assert fresh.linear1[0].weight.abs().max() <= bound
    assert fresh.linear1[0].weight.abs().max() > 0.9 * bound


@pytest.mark.parametrize("n_steps", [1, 2, 13, 14, 15, 97, 1500])
def test_output_shape_and_range(model, n_steps):
    with torch.no_grad():
        scores = model(torch.rand(n_steps, 1024))
    assert scores.shape == (n_steps,)
    assert torch.isfinite(scores).all()
    assert ((scores > 0) & (scores < 1)).all()


def test_beyond_reference_table_length(model):
    """The reference stops at 4999 steps; a one-hour video has 7,200 and a 42-minute one 5,001."""
    with torch.no_grad():
        scores = model(torch.rand(5001, 1024))
    assert scores.shape == (5001,)
    assert ((scores > 0) & (scores < 1)).all()


def test_positional_table_extends_the_stored_one_exactly():
    stored = FixedPositionalEncoding(rows=5000, dim=1024)
    full = sinusoid_table(0, 7200, 1024)
    assert torch.equal(full[:5000], stored.pe)
    out = stored(torch.zeros(7200, 1024))
    assert torch.equal(out, full)
    assert out[0, 0] == 0 and out[0, 1] == 1  # sin(0), cos(0)
    assert out[3, 0] == pytest.approx(math.sin(3.0))
    assert out[3, 2] == pytest.approx(math.sin(3.0 * math.exp(-2 * math.log(10000.0) / 1024)), rel=1e-5)


def test_eval_mode_is_deterministic_and_train_mode_uses_dropout(model):
    features = torch.rand(60, 1024)
    with torch.no_grad():
        first, second = model(features), model(features)
    assert torch.equal(first, second)
    model.train()
    try:
        with torch.no_grad():
            a, b = model(features), model(features)
    finally:
        model.eval()
    assert not torch.equal(a, b)


def test_gradients_reach_every_trained_parameter():
    torch.manual_seed(1)
    net = build_csta(BackboneInit.RANDOM, ModelConfig())
    net.train()
    loss = ((net(torch.rand(40, 1024)) - 0.5) ** 2).mean()
    loss.backward()
    unused = {"googlenet.fc.weight", "googlenet.fc.bias"}
    for name, parameter in net.named_parameters():
        if name not in unused:
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name


def test_released_forward_is_todays_data_flow(model):
    """The released configuration's forward, restated op for op as it was before the variants:
    the outputs must stay bit-identical, in eval mode and in train mode under the same seed."""
    import torch.nn.functional as F

    from models.backbone import run_trunk

    def released(net, features):
        n_steps, dim = features.shape
        image = torch.cat((net.CLS, features.expand(1, 3, n_steps, dim)), dim=2)
        key = net.key_embedding(image)
        attention = run_trunk(net.googlenet, key) + key[0, 0]
        attention = net.Positional_encoding_op(net.layernorm1(attention[None, None])[0, 0])
        over_time = net.dropout(F.softmax(attention, dim=0))
        over_features = net.dropout(F.softmax(attention, dim=1))
        value = net.value_embedding(image[0, 0])
        mixed = F.adaptive_avg_pool2d((value * over_time + value * over_features)[None], (n_steps, dim))[0]
        return net.linear2(net.linear1(mixed)).squeeze(-1)

    features = torch.rand(23, 1024)
    with torch.no_grad():
        assert torch.equal(model(features), released(model, features))
        model.train()
        try:
            torch.manual_seed(5)
            ours = model(features)
            torch.manual_seed(5)
            assert torch.equal(ours, released(model, features))
        finally:
            model.eval()
