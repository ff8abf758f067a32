"""CSTA built for each variant of the reference's options: keys, shapes, outputs (models/csta.py with models/parts.py)."""

import copy

import pytest
import torch

from config import Backbone, ModelConfig, ModelConfigError
from models import csta as csta_module
from models.backbone import BACKBONES, BackboneInit, seeded_random_backbone
from models.csta import CSTA, build_csta


def variant(**options) -> ModelConfig:
    return ModelConfig.from_options(options)


# Every value of every option at least once, every backbone and both value sources.
VARIANTS = {
    "released": variant(),
    "GoogleNet": variant(model_name="GoogleNet"),
    "ResNet_Attention": variant(model_name="ResNet_Attention"),
    "ResNet": variant(model_name="ResNet", Skip_connection="CF"),
    "EfficientNet_Attention": variant(model_name="EfficientNet_Attention", CLS_mix="SM", Scale="T"),
    "EfficientNet": variant(model_name="EfficientNet", Skip_connection="IF", CLS_mix="CNN"),
    "MobileNet_Attention": variant(model_name="MobileNet_Attention", key_value_emb="None", CLS_mix="SM", Skip_connection="CF"),
    "MobileNet": variant(model_name="MobileNet", Softmax_axis="D", Layernorm="false"),
    "scale_D": variant(Scale="D"),
    "scale_T_D": variant(Scale="T_D", Softmax_axis="T"),
    "no_softmax": variant(Softmax_axis="None", Skip_connection="CF"),
    "balance_T": variant(Balance="T"),
    "balance_D": variant(Balance="D"),
    "balance_BD": variant(Balance="BD"),
    "balance_BU": variant(Balance="BU", model_name="ResNet_Attention"),
    "FPE_T": variant(Positional_encoding_shape="T"),
    "RPE": variant(Positional_encoding="RPE"),
    "RPE_T_transformer": variant(Positional_encoding="RPE", Positional_encoding_shape="T", Positional_encoding_way="Transformer"),
    "LPE": variant(Positional_encoding="LPE", CLS_on="false"),
    "LPE_T": variant(Positional_encoding="LPE", Positional_encoding_shape="T"),
    "CPE": variant(Positional_encoding="CPE", model_name="MobileNet_Attention"),
    "CPE_T_transformer": variant(Positional_encoding="CPE", Positional_encoding_shape="T", Positional_encoding_way="Transformer"),
    "FPE_transformer": variant(Positional_encoding_way="Transformer", Skip_connection="IF"),
    "no_encoding": variant(Positional_encoding="None"),
    "no_way": variant(Positional_encoding_way="None"),
    "no_dropout": variant(Dropout_on="false", Dropout_ratio="0.3"),
    "no_classifier": variant(Classifier_on="false", model_name="ResNet"),
    "key_only": variant(key_value_emb="k"),
    "value_only": variant(key_value_emb="v", Skip_connection="CF"),
    "no_embeddings": variant(key_value_emb="None"),
    "no_skip": variant(Skip_connection="None"),
}


@pytest.fixture(scope="module")
def trunks():
    return {spec.backbone: seeded_random_backbone(spec, seed=3) for spec in BACKBONES.values()}


def make(trunks, config: ModelConfig) -> CSTA:
    torch.manual_seed(0)
    return CSTA(copy.deepcopy(trunks[config.backbone]), config).eval()


def head_shapes(net: CSTA) -> dict[str, tuple[int, ...]]:
    prefix = net.spec.attribute + "."
    return {key: tuple(value.shape) for key, value in net.state_dict().items() if not key.startswith(prefix)}


def linear(name, n_out, n_in):
    return {f"{name}.weight": (n_out, n_in), f"{name}.bias": (n_out,)}


def batchnorm(name):
    return {f"{name}.weight": (1,), f"{name}.bias": (1,), f"{name}.running_mean": (1,), f"{name}.running_var": (1,),
            f"{name}.num_batches_tracked": ()}  # fmt: skip


def head(width):
    return {**linear("linear1.0", width, width), "linear1.3.weight": (width,), "linear1.3.bias": (width,), **linear("linear2.0", 1, width)}


# The reference's keys and shapes outside the CNN, for variants that differ in every optional layer.
EXPECTED_HEADS = {
    "ResNet_Attention": {"Positional_encoding_op.pe": (5000, 512), **head(512), "CLS": (1, 3, 1, 1024),
                         **linear("key_embedding", 512, 1024), **linear("value_embedding", 512, 1024), **batchnorm("layernorm1")},
    "ResNet": {"Positional_encoding_op.pe": (5000, 512), **head(512), "CLS": (1, 3, 1, 1024),
               **linear("key_embedding", 512, 1024), **batchnorm("layernorm2")},
    "EfficientNet": {"Positional_encoding_op.pe": (5000, 1280), **head(1280), "CLS": (1, 3, 1, 1024),
                     **linear("key_embedding", 1280, 1024), **batchnorm("layernorm3")},
    "MobileNet_Attention": {"Positional_encoding_op.pe": (5000, 1280), **head(1280), "CLS": (1, 3, 1, 1024), **batchnorm("layernorm2")},
    "FPE_T": {"Positional_encoding_op.pe": (5000, 1024), **head(1024), "CLS": (1, 3, 1, 1024),
              **linear("key_embedding", 1024, 1024), **linear("value_embedding", 1024, 1024), **batchnorm("layernorm1")},
    "RPE_T_transformer": {**linear("Positional_encoding_embedding", 1024, 1024), **head(1024), "CLS": (1, 3, 1, 1024),
                          **linear("key_embedding", 1024, 1024), **linear("value_embedding", 1024, 1024), **batchnorm("layernorm1")},
    "LPE": {"Positional_encoding_op.pe": (5000, 1024), **head(1024),
            **linear("key_embedding", 1024, 1024), **linear("value_embedding", 1024, 1024), **batchnorm("layernorm1")},
    "LPE_T": {"Positional_encoding_op.pe": (5000, 1), **head(1024), "CLS": (1, 3, 1, 1024),
              **linear("key_embedding", 1024, 1024), **linear("value_embedding", 1024, 1024), **batchnorm("layernorm1")},
    "CPE": {"Positional_encoding_op.pe.weight": (1280, 1280, 3), "Positional_encoding_op.pe.bias": (1280,), **head(1280),
            "CLS": (1, 3, 1, 1024), **linear("key_embedding", 1280, 1024), **linear("value_embedding", 1280, 1024),
            **batchnorm("layernorm1")},
    "CPE_T_transformer": {"Positional_encoding_op.pe.weight": (1024, 1, 3), "Positional_encoding_op.pe.bias": (1024,),
                          **linear("Positional_encoding_embedding", 1024, 1024), **head(1024), "CLS": (1, 3, 1, 1024),
                          **linear("key_embedding", 1024, 1024), **linear("value_embedding", 1024, 1024), **batchnorm("layernorm1")},
    "no_way": {**head(1024), "CLS": (1, 3, 1, 1024), **linear("key_embedding", 1024, 1024),
               **linear("value_embedding", 1024, 1024), **batchnorm("layernorm1")},
    "no_classifier": {"Positional_encoding_op.pe": (5000, 512), "CLS": (1, 3, 1, 1024),
                      **linear("key_embedding", 512, 1024), **batchnorm("layernorm1")},
    "key_only": {"Positional_encoding_op.pe": (5000, 1024), **head(1024), "CLS": (1, 3, 1, 1024),
                 **linear("key_embedding", 1024, 1024), **batchnorm("layernorm1")},
    "value_only": {"Positional_encoding_op.pe": (5000, 1024), **head(1024), "CLS": (1, 3, 1, 1024),
                   **linear("value_embedding", 1024, 1024), **batchnorm("layernorm2")},
    "no_skip": {"Positional_encoding_op.pe": (5000, 1024), **head(1024), "CLS": (1, 3, 1, 1024),
                **linear("key_embedding", 1024, 1024), **linear("value_embedding", 1024, 1024)},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED_HEADS))
def test_keys_and_shapes_are_the_reference_ones(trunks, name):
    assert head_shapes(make(trunks, VARIANTS[name])) == EXPECTED_HEADS[name]


@pytest.mark.parametrize("backbone", list(Backbone))
def test_cnn_keys_are_torchvisions_under_the_reference_attribute(trunks, backbone):
    net = make(trunks, variant(model_name=backbone.value + "_Attention"))
    spec = BACKBONES[backbone]
    ours = {key[len(spec.attribute) + 1:] for key in net.state_dict() if key.startswith(spec.attribute + ".")}
    # torchvision's network as the reference loads it: classifier kept, GoogLeNet's auxiliary heads dropped
    assert ours == set(spec.builder(weights=None, **spec.random_init).state_dict())
    assert not any(".aux" in key for key in ours) and any(key.startswith(("fc.", "classifier.")) for key in ours)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_outputs_for_several_lengths(trunks, name):
    config = VARIANTS[name]
    net = make(trunks, config)
    for n_steps in (1, 16):
        features = torch.rand(n_steps, 1024)
        with torch.no_grad():
            scores = net(features)
            again = net(features)
        assert scores.shape == (n_steps,)
        assert torch.isfinite(scores).all()
        assert torch.equal(scores, again)  # eval mode draws nothing
        if config.classifier_on:
            assert ((scores > 0) & (scores < 1)).all()


@pytest.mark.parametrize("name", ["FPE_transformer", "released", "no_way"])
def test_train_mode_draws_dropout_where_the_variant_has_it(trunks, name):
    net = make(trunks, VARIANTS[name]).train()
    features = torch.rand(20, 1024)
    with torch.no_grad():
        first, second = net(features), net(features)
    # the head's own dropout always draws; the variant's dropout draws in addition, before it
    assert not torch.equal(first, second)
    net.linear1[2].p = 0.0
    with torch.no_grad():
        first, second = net(features), net(features)
    assert torch.equal(first, second) == (not VARIANTS[name].dropout_on)


@pytest.mark.parametrize("name", ["FPE_transformer", "CPE_T_transformer", "LPE_T", "value_only", "no_classifier"])
def test_gradients_reach_every_layer_of_the_variant(trunks, name):
    net = make(trunks, VARIANTS[name]).train()
    ((net(torch.rand(18, 1024)) - 0.5) ** 2).mean().backward()
    classifier = {"googlenet.fc", "resnet.fc", "efficientnet.classifier", "mobilenet.classifier"}
    for key, parameter in net.named_parameters():
        if not key.startswith(tuple(classifier)):
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), key


def test_a_copy_is_independent_and_scores_alike(trunks):
    """The parts hold no layers, so a deep copy (or a pickled model) uses its own ones."""
    net = make(trunks, VARIANTS["CPE_T_transformer"])
    twin = copy.deepcopy(net)
    features = torch.rand(9, 1024)
    with torch.no_grad():
        assert torch.equal(twin(features), net(features))
        twin.Positional_encoding_op.pe.weight.add_(1.0)
        assert not torch.equal(twin(features), net(features))


def test_undefined_variant_is_refused_before_anything_is_built(monkeypatch):
    def no_build(*args, **kwargs):
        raise AssertionError("built a backbone for an undefined variant")

    monkeypatch.setattr(csta_module, "build_backbone", no_build)
    with pytest.raises(ModelConfigError, match="CLS_on is false"):
        build_csta(BackboneInit.RANDOM, ModelConfig(cls_on=False))
