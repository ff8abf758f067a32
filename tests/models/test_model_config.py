"""config.ModelConfig: the variant options (tested beside the model they configure)."""

import subprocess
import sys
from dataclasses import replace

import pytest

from config import (
    Backbone,
    Balance,
    ClsMix,
    EncodingShape,
    EncodingWay,
    KeyValueEmbedding,
    ModelConfig,
    ModelConfigError,
    PositionalEncoding,
    Scale,
    SkipConnection,
    SoftmaxAxis,
    ValueSource,
    option_values,
    parse_option,
)
from utils.errors import ProjectError

# The official code's defaults (its config.py), i.e. the released configuration.
RELEASED_FLAGS = {
    "model_name": "GoogleNet_Attention",
    "Scale": None,
    "Softmax_axis": "TD",
    "Balance": None,
    "Positional_encoding": "FPE",
    "Positional_encoding_shape": "TD",
    "Positional_encoding_way": "PGL_SUM",
    "Dropout_on": True,
    "Dropout_ratio": 0.6,
    "Classifier_on": True,
    "CLS_on": True,
    "CLS_mix": "Final",
    "key_value_emb": "kv",
    "Skip_connection": "KC",
    "Layernorm": True,
}


def test_defaults_are_the_released_configuration():
    options = ModelConfig().to_options()
    assert {k: options[k] for k in RELEASED_FLAGS} == RELEASED_FLAGS
    assert ModelConfig.from_options({}) == ModelConfig()
    assert ModelConfig.from_options(RELEASED_FLAGS) == ModelConfig()


def test_config_module_imports_neither_torch_nor_numpy():
    code = "import sys, config; config.ModelConfig().validate(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=sys.path[0])
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "options",
    [
        {"model_name": "ResNet", "Scale": "T_D", "Softmax_axis": "T", "Skip_connection": "CF"},
        {"model_name": "MobileNet_Attention", "CLS_mix": "SM", "key_value_emb": "None", "Skip_connection": "CF"},
        {"Positional_encoding": "CPE", "Positional_encoding_shape": "T", "Positional_encoding_way": "Transformer"},
        {"Balance": "BU", "Dropout_ratio": "0.25", "Classifier_on": "no", "CLS_on": "0", "key_value_emb": "k"},
        {"Positional_encoding_way": "None", "Softmax_axis": "D", "Skip_connection": "None"},
    ],
)
def test_options_round_trip_exactly(options):
    config = ModelConfig.from_options(options)
    assert ModelConfig.from_options(config.to_options()) == config


def test_options_not_given_follow_the_given_ones():
    assert ModelConfig.from_options({"CLS_on": "false"}).cls_mix is None
    assert ModelConfig.from_options({"Skip_connection": "None"}).layernorm is False
    no_encoding = ModelConfig.from_options({"Positional_encoding": "None"})
    assert no_encoding.positional_encoding_shape is None and no_encoding.dropout_on  # dropout still on the maps
    no_way = ModelConfig.from_options({"Positional_encoding_way": "None"})
    assert (no_way.positional_encoding, no_way.positional_encoding_shape, no_way.dropout_on) == (None, None, False)
    assert ModelConfig.from_options({"Softmax_axis": "None"}).dropout_on is False
    assert ModelConfig.from_options({"Positional_encoding_way": "Transformer", "Softmax_axis": "None"}).dropout_on
    # given explicitly, a contradiction is refused rather than repaired
    with pytest.raises(ModelConfigError, match="CLS_on is false"):
        ModelConfig.from_options({"CLS_on": "false", "CLS_mix": "Final"})


@pytest.mark.parametrize(("text", "value"), [("true", True), ("Yes", True), ("1", True), ("false", False), ("NO", False), ("0", False)])
def test_booleans(text, value):
    assert parse_option("CLS_on", text) is value


def test_spellings_are_case_insensitive_and_none_means_off():
    assert parse_option("CLS_mix", "final") is ClsMix.FINAL
    assert parse_option("Positional_encoding_way", "transformer") is EncodingWay.TRANSFORMER
    assert parse_option("key_value_emb", "KV") is KeyValueEmbedding.KV
    assert parse_option("Scale", "none") is None and parse_option("Scale", "None") is None
    assert parse_option("Dropout_ratio", "0.3") == 0.3
    assert ModelConfig.split_model_name("resnet_attention") == (Backbone.RESNET, ValueSource.FEATURES)
    assert ModelConfig.split_model_name("EfficientNet") == (Backbone.EFFICIENTNET, ValueSource.CNN)


@pytest.mark.parametrize(
    ("option", "value", "listed"),
    [
        ("Positional_encoding", "APE", "FPE, RPE, LPE, CPE, None"),
        ("CLS_mix", "Start", "CNN, SM, Final, None"),
        ("key_value_emb", "q", "k, v, kv, None"),
        ("Skip_connection", "KF", "KC, CF, IF, None"),
        ("Positional_encoding_way", "BERT", "PGL_SUM, Transformer, None"),
        ("Layernorm", "maybe", "true, false"),
    ],
)
def test_unknown_values_list_the_valid_ones(option, value, listed):
    with pytest.raises(ModelConfigError, match=f"unknown {option} '{value}'; choose one of {listed}"):
        ModelConfig.from_options({option: value})


def test_unknown_option_and_model_name():
    with pytest.raises(ModelConfigError, match="unknown model option.*Dropout"):
        ModelConfig.from_options({"Dropout": "0.5"})
    with pytest.raises(ModelConfigError, match="unknown model_name 'VGG'; choose one of GoogleNet, GoogleNet_Attention, ResNet"):
        ModelConfig.from_options({"model_name": "VGG"})
    with pytest.raises(ModelConfigError, match="Dropout_ratio must be a number"):
        ModelConfig.from_options({"Dropout_ratio": "high"})
    assert "GoogleNet_Attention" in option_values("model_name") and len(option_values("model_name")) == 8


D = ModelConfig()
REFUSED = [
    (replace(D, cls_mix=None), "CLS_on true needs a CLS_mix"),
    (replace(D, cls_on=False), "CLS_on is false"),
    (replace(D, balance=Balance.BD, softmax_axis=SoftmaxAxis.T), "Balance BD .* needs Softmax_axis TD"),
    (replace(D, positional_encoding_shape=None), "Positional_encoding FPE needs a Positional_encoding_shape"),
    (replace(D, positional_encoding=None), "Positional_encoding is None: leave the shape None"),
    (replace(D, positional_encoding_way=None, dropout_on=False), "is never added"),
    (replace(D, positional_encoding=None, positional_encoding_shape=None, positional_encoding_way=None), "it would never apply"),
    (replace(D, softmax_axis=None), "Softmax_axis None has none: set Dropout_on false"),
    (replace(D, softmax_axis=None, dropout_on=False, cls_mix=ClsMix.SM), "CLS_mix SM averages the CLS row into the softmax maps"),
    (replace(D, skip_connection=SkipConnection.IF, cls_mix=ClsMix.SM), "Skip_connection IF adds the input"),
    (replace(D, skip_connection=None), "Layernorm normalises after the skip connection"),
    (replace(D, value_source=ValueSource.CNN, key_value_emb=KeyValueEmbedding.V), "use GoogleNet_Attention"),
    (replace(D, backbone=Backbone.RESNET, positional_encoding_way=EncodingWay.TRANSFORMER), "only GoogleNet fits"),
    (replace(D, backbone=Backbone.RESNET, key_value_emb=None), "Skip_connection KC adds the key"),
    (replace(D, backbone=Backbone.MOBILENET, cls_mix=ClsMix.CNN), "kv embeds the 1024-wide features, and CLS_mix CNN"),
    (replace(D, backbone=Backbone.EFFICIENTNET, key_value_emb=KeyValueEmbedding.V), "v embeds the values with a 1280 x 1280 layer"),
    (replace(D, backbone=Backbone.RESNET, key_value_emb=KeyValueEmbedding.K), "attention maps weigh the features themselves"),
    (replace(D, backbone=Backbone.RESNET, skip_connection=SkipConnection.IF, layernorm=False), "Skip_connection IF adds the input features"),
    (replace(D, scale="D"), "scale must be one of Scale.D, Scale.T, Scale.T_D, None, not 'D'"),
    (replace(D, dropout_ratio=1.5), r"Dropout_ratio must lie in \[0, 1\]"),
]


@pytest.mark.parametrize(("config", "phrase"), REFUSED)
def test_undefined_combinations_are_refused_with_a_reason(config, phrase):
    with pytest.raises(ModelConfigError, match=phrase) as error:
        config.validate()
    assert isinstance(error.value, ProjectError)
    assert config.model_name in str(error.value)


@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(),
        replace(D, backbone=Backbone.RESNET, key_value_emb=None, skip_connection=SkipConnection.CF, cls_mix=ClsMix.SM, layernorm=False),
        replace(D, backbone=Backbone.EFFICIENTNET, value_source=ValueSource.CNN, skip_connection=SkipConnection.IF, cls_mix=ClsMix.CNN),
        replace(D, scale=Scale.T, positional_encoding=PositionalEncoding.RPE, positional_encoding_shape=EncodingShape.T),
        replace(D, positional_encoding_way=EncodingWay.TRANSFORMER, softmax_axis=None, skip_connection=SkipConnection.IF, layernorm=False),
    ],
)
def test_defined_combinations_pass(config):
    assert config.validate() is config


def test_every_problem_is_listed_at_once():
    bad = replace(D, cls_on=False, skip_connection=None)
    with pytest.raises(ModelConfigError) as error:
        bad.validate()
    assert "CLS_on is false" in str(error.value) and "Layernorm normalises" in str(error.value)
