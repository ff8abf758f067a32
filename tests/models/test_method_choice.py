"""models/method_choice.py: the model a run builds, read back from a record and reconciled with it."""

from pathlib import Path

import pytest

from config import CASumConfig, Fusion, ModelConfig, PGLSumConfig, SoftmaxAxis
from models.method_choice import ModelChoice, ModelChoiceError, choice_from_record, config_from_options, reconcile


@pytest.mark.parametrize("chosen", [
    ModelChoice("CSTA", ModelConfig(cls_on=False, cls_mix=None)),
    ModelChoice("PGL-SUM", PGLSumConfig(num_segments=None, fusion=Fusion.MAX)),
    ModelChoice("CA-SUM", CASumConfig(block_size=7)),
])
def test_a_record_gives_back_the_choice(chosen):
    record = {"method": chosen.method, "model_options": chosen.options()}
    back = choice_from_record(record)
    assert (back.method, back.config) == (chosen.method, chosen.config)
    assert back.given >= set(chosen.options())


def test_an_old_record_is_the_released_csta_and_no_record_is_none():
    assert choice_from_record({"dataset": "SumMe", "split": 1}).config == ModelConfig()
    assert choice_from_record(None) is None


def test_a_bad_record_is_refused_naming_the_problem():
    with pytest.raises(ModelChoiceError, match="unknown method 'VASNet'; choose one of CSTA, PGL-SUM, CA-SUM"):
        choice_from_record({"method": "VASNet"})
    with pytest.raises(ModelChoiceError, match="model_options must be a mapping"):
        choice_from_record({"method": "CSTA", "model_options": ["Scale"]})
    assert config_from_options("CA-SUM", {"block_size": 30}) == CASumConfig(block_size=30)


def test_describe_names_the_options_that_differ_from_the_methods_defaults():
    assert ModelChoice("PGL-SUM", PGLSumConfig()).describe() == "PGL-SUM (defaults)"
    assert ModelChoice("CA-SUM", CASumConfig(block_size=7)).describe() == "CA-SUM (block_size=7)"


def test_reconcile_names_the_flag_of_an_option_in_its_documented_spelling():
    record = choice_from_record({"method": "CSTA", "model_options": ModelConfig(softmax_axis=SoftmaxAxis.T).to_options()})
    flags = ModelChoice("CSTA", ModelConfig(), frozenset({"Softmax_axis"}))
    with pytest.raises(ModelChoiceError, match="--softmax-axis TD contradicts the record r.json, which says T"):
        reconcile(flags, record, Path("r.json"))
    wider = ModelChoice("CSTA", ModelConfig(head_dropout=0.1), frozenset({"head_dropout"}))  # no flag sets it: its name
    with pytest.raises(ModelChoiceError, match="^head_dropout 0.1 contradicts the weights' record, which says 0.5"):
        reconcile(wider, record, None)
    assert reconcile(ModelChoice("CSTA", ModelConfig()), record, None) is record
