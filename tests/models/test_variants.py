"""Which variant a state_dict's keys belong to (models/variants.py)."""

from dataclasses import replace

import pytest
import torch

from config import Backbone, EncodingShape, ModelConfig, PositionalEncoding, SkipConnection
from models.backbone import BackboneInit
from models.csta import build_csta
from models.variants import KeyFacts, expected_shapes, explain_mismatch, fitting_config, read_key_facts


def variant(**options) -> ModelConfig:
    return ModelConfig.from_options(options)


def shapes(state):
    return {key: tuple(value.shape) for key, value in state.items()}


@pytest.fixture(scope="module")
def states():
    """state_dicts of a few variants, each differing from the released one in options the keys show."""
    configs = {
        "released": variant(),
        "resnet_cpe_t_cf": variant(model_name="ResNet_Attention", Positional_encoding="CPE", Positional_encoding_shape="T", Skip_connection="CF"),
        "fpe_t": variant(Positional_encoding_shape="T"),
        "lpe_no_cls": variant(Positional_encoding="LPE", CLS_on="false"),
        "lpe_t_transformer": variant(Positional_encoding="LPE", Positional_encoding_shape="T", Positional_encoding_way="Transformer"),
        "mobilenet_no_head_if": variant(model_name="MobileNet", Classifier_on="false", Skip_connection="IF", CLS_mix="CNN"),
        "value_only": variant(key_value_emb="v", Skip_connection="CF"),
    }
    torch.manual_seed(0)
    return {name: (config, build_csta(BackboneInit.RANDOM, config).state_dict()) for name, config in configs.items()}


def test_expected_shapes_are_the_built_models(states):
    for config, state in states.values():
        assert expected_shapes(config) == shapes(state)


@pytest.mark.parametrize("name", ["resnet_cpe_t_cf", "fpe_t", "lpe_no_cls", "lpe_t_transformer", "mobilenet_no_head_if", "value_only"])
def test_the_variant_is_found_from_the_released_one(states, name):
    config, state = states[name]
    found = fitting_config(state, ModelConfig())
    assert found is not None and expected_shapes(found) == shapes(state)
    if name != "mobilenet_no_head_if":  # a plain MobileNet's keys are also an _Attention one's without embeddings
        assert found == config


def test_facts_tell_the_encoding_by_its_values(states):
    assert read_key_facts(states["released"][1]).encodings == ((PositionalEncoding.FPE, EncodingShape.TD),)
    assert read_key_facts(states["fpe_t"][1]).encodings == ((PositionalEncoding.FPE, EncodingShape.T),)
    assert read_key_facts(states["lpe_no_cls"][1]).encodings == ((PositionalEncoding.LPE, EncodingShape.TD),)
    facts = read_key_facts(states["resnet_cpe_t_cf"][1])
    assert isinstance(facts, KeyFacts)
    assert (facts.backbone, facts.normalised_skip, facts.encodings) == (
        Backbone.RESNET, SkipConnection.CF, ((PositionalEncoding.CPE, EncodingShape.T),),
    )  # fmt: skip


def test_message_names_the_options_that_make_the_keys_fit(states):
    message = explain_mismatch(states["resnet_cpe_t_cf"][1], ModelConfig())
    assert "The file's keys look like: ResNet backbone" in message
    assert "They fit ResNet_Attention with Positional_encoding CPE, Positional_encoding_shape T, Skip_connection CF" in message
    message = explain_mismatch(states["released"][1], replace(ModelConfig(), skip_connection=SkipConnection.CF))
    assert "They fit GoogleNet_Attention with Skip_connection KC" in message


def test_keys_of_something_else_say_nothing():
    assert read_key_facts({"weight": torch.zeros(2)}) is None
    assert explain_mismatch({"fc.weight": torch.zeros(2)}, ModelConfig()) == ""
    assert fitting_config({"fc.weight": torch.zeros(2)}, ModelConfig()) is None


def test_keys_that_fit_no_variant_still_get_their_facts(states):
    state = dict(states["released"][1])
    state["key_embedding.weight"] = torch.zeros(7, 7)
    message = explain_mismatch(state, ModelConfig())
    assert "GoogleNet backbone" in message and "They fit" not in message
