"""--method and the model options on the command line (cli/method_options.py), made from the options each
MethodSpec declares: both spellings, refusals at parse time or before any data is read, and how flags
meet the record beside a weights file."""

import argparse
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.method_options import add_model_arguments, model_choice_from_args, model_flag_dests
from config import CASumConfig, ClsMix, MethodConfigError, ModelConfig, ModelConfigError, PGLSumConfig, SoftmaxAxis
from models import methods
from models.method_choice import ModelChoice, ModelChoiceError, choice_from_record, reconcile
from models.methods import METHODS, MethodOption
from utils.errors import ProjectError

ROOT = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_model_arguments(parser)
    return parser.parse_args(list(argv))


def choice(*argv: str) -> ModelChoice:
    return model_choice_from_args(parse(*argv))


def test_no_flag_is_the_released_csta():
    chosen = choice()
    assert chosen == ModelChoice("CSTA", ModelConfig(), frozenset())
    assert chosen.describe() == "CSTA (defaults)"


REFERENCE = ["--model_name", "ResNet_Attention", "--Scale", "T", "--Softmax_axis", "T", "--Positional_encoding", "RPE",
             "--Positional_encoding_shape", "T", "--Positional_encoding_way", "Transformer", "--Dropout_ratio", "0.3",
             "--CLS_on", "false", "--key_value_emb", "kv", "--Skip_connection", "None", "--Classifier_on", "yes"]


def kebab(argv: list[str]) -> list[str]:
    return [("--" + a[2:].lower().replace("_", "-")) if a.startswith("--") else a for a in argv]


def test_both_spellings_give_the_same_choice():
    with pytest.raises(ModelConfigError, match="Transformer"):  # ResNet's width does not fit the Transformer way
        choice(*REFERENCE)
    argv = [a if a != "ResNet_Attention" else "GoogleNet_Attention" for a in REFERENCE]
    reference, ours = choice(*argv), choice(*kebab(argv))
    assert reference == ours
    assert reference.config.softmax_axis is SoftmaxAxis.T and reference.config.cls_mix is None  # CLS_mix follows CLS_on
    assert reference.given == {"model_name", "Scale", "Softmax_axis", "Positional_encoding", "Positional_encoding_shape",
                               "Positional_encoding_way", "Dropout_ratio", "CLS_on", "key_value_emb", "Skip_connection", "Classifier_on"}
    assert choice("--n_segments", "8", "--method", "PGL-SUM") == choice("--segments", "8", "--method", "PGL-SUM")
    assert choice("--method", "CA-SUM", "--block_size", "30").config == CASumConfig(block_size=30)


def test_every_flag_has_a_kebab_spelling_shown_in_help():
    parser = argparse.ArgumentParser()
    add_model_arguments(parser)
    text = parser.format_help()
    for option in (option for spec in METHODS.values() for option in spec.options):
        assert option.flag.startswith("--") and "_" not in option.flag and option.flag.lower() == option.flag
        assert all(spelling in text for spelling in option.spellings)
    assert all(spec.options_title in text for spec in METHODS.values())


@pytest.mark.parametrize(("argv", "message"), [
    (["--Softmax_axis", "X"], "choose one of T, D, TD, None"),
    (["--cls-mix", "middle"], "choose one of CNN, SM, Final, None"),
    (["--model-name", "VGG"], "GoogleNet_Attention"),
    (["--cls-on", "maybe"], "choose one of true, false"),
    (["--dropout-ratio", "x"], "must be a number"),
    (["--fusion", "concat"], "add, mult, avg, max, None"),
    (["--segments", "1"], "at least 2"),
    (["--block-size", "0"], "at least 1"),
    (["--method", "VASNet"], "invalid choice"),
])
def test_unknown_values_are_argparse_errors_listing_the_valid_ones(argv, message, capsys):
    with pytest.raises(SystemExit) as caught:
        parse(*argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_none_and_booleans_in_every_spelling():
    assert choice("--Scale", "None").given == {"Scale"}  # an explicit None is given, not absent
    assert choice("--skip-connection", "none").config.layernorm is False  # Layernorm follows: nothing to normalise
    for text, value in (("true", True), ("YES", True), ("1", True), ("false", False), ("no", False), ("0", False)):
        assert choice("--classifier-on", text).config.classifier_on is value
    pgl = choice("--method", "PGL-SUM", "--segments", "None", "--fusion", "None", "--pos-enc", "relative").config
    assert (pgl.num_segments, pgl.fusion, pgl.positional_encoding.value) == (None, None, "relative")


def test_undefined_combinations_are_refused_with_the_reason():
    with pytest.raises(ModelConfigError, match="CLS_on is false"):
        choice("--CLS_on", "false", "--CLS_mix", "SM")
    with pytest.raises(ModelConfigError, match="needs Softmax_axis TD"):
        choice("--Balance", "BD", "--Softmax_axis", "T")
    with pytest.raises(MethodConfigError, match="local heads cannot share"):
        choice("--method", "PGL-SUM", "--segments", "3")


def test_an_option_of_another_method_names_that_method():
    with pytest.raises(ModelChoiceError, match="--fusion is an option of PGL-SUM, not of CSTA: choose that method with --method PGL-SUM"):
        choice("--fusion", "add")
    with pytest.raises(ModelChoiceError, match="--softmax-axis is an option of CSTA, not of CA-SUM"):
        choice("--method", "CA-SUM", "--Softmax_axis", "T")
    assert all(issubclass(error, ProjectError) for error in (ModelChoiceError, ModelConfigError, MethodConfigError))


def test_reconcile_record_wins_and_contradictions_name_both_values_and_the_file():
    record = choice_from_record({"method": "CSTA", "model_options": ModelConfig(softmax_axis=SoftmaxAxis.T).to_options()})
    path = Path("w/SumMe/split1.json")
    assert reconcile(choice(), record, path) == record  # nothing given: the record's variant
    assert reconcile(choice("--softmax-axis", "t"), record, path) == record  # agrees (case-insensitive)
    with pytest.raises(ModelChoiceError, match=r"--softmax-axis TD contradicts the record w/SumMe/split1.json, which says T"):
        reconcile(choice("--Softmax_axis", "TD"), record, path)
    with pytest.raises(ModelChoiceError, match="--method PGL-SUM contradicts the record .*which says the weights are CSTA"):
        reconcile(choice("--method", "PGL-SUM"), record, path)
    pgl = choice_from_record({"method": "PGL-SUM", "model_options": PGLSumConfig().to_options()})
    assert reconcile(choice(), pgl, path).method == "PGL-SUM"  # no --method: the record names it
    with pytest.raises(ModelChoiceError, match="--cls-on: option.* of CSTA, but the record .* says the weights are PGL-SUM"):
        reconcile(choice("--CLS_on", "true"), pgl, path)
    flags = choice("--CLS_mix", "SM")
    assert reconcile(flags, None, path) is flags  # no record: the flags
    assert flags.config.cls_mix is ClsMix.SM


def test_flags_parse_without_torch():
    code = ("import sys, argparse; from cli.method_options import add_model_arguments, model_choice_from_args; "
            "p = argparse.ArgumentParser(); add_model_arguments(p); "
            "model_choice_from_args(p.parse_args(['--method', 'PGL-SUM', '--fusion', 'max'])); "
            "print(' '.join(m for m in ('torch', 'numpy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


@dataclasses.dataclass(frozen=True)
class _WidthConfig:
    """The options of a made-up method, with the interface every method's config offers."""

    width: int = 8

    def to_options(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_options(cls, values: dict) -> "_WidthConfig":
        return cls(**values)


def test_a_new_method_is_one_spec_and_its_flags_follow(monkeypatch):
    """Registering a spec is all it takes: --method, its option group, its flag and its choice, with no other edit."""
    width = MethodOption("width", ("--width",), int, "the made-up method's width", placeholder="N")
    spec = dataclasses.replace(METHODS["CA-SUM"], name="Made-Up", config_type=_WidthConfig, options=(width,),
                               options_title="Made-Up options (--method Made-Up)")
    monkeypatch.setitem(methods.METHODS, "Made-Up", spec)
    parser = argparse.ArgumentParser()
    add_model_arguments(parser)
    assert "Made-Up options (--method Made-Up)" in parser.format_help() and "madeup_width" in model_flag_dests()
    chosen = model_choice_from_args(parser.parse_args(["--method", "Made-Up", "--width", "3"]))
    assert chosen == ModelChoice("Made-Up", _WidthConfig(3), frozenset({"method", "width"}))
    assert chosen.describe() == "Made-Up (width=3)"
    with pytest.raises(ModelChoiceError, match="--width is an option of Made-Up, not of CSTA"):
        model_choice_from_args(parser.parse_args(["--width", "3"]))
