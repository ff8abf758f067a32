"""Which model a command line asks for: --method and every method's options, for train.py, inference.py
and generate_video.py, and how those flags meet the record beside a weights file.

Standard library and config.py only, so that ``--help`` and argument errors answer before torch is
imported. Every flag defaults to None (not given), so a ModelChoice knows which options the user
named: those are checked against the record, the others come from the record or the defaults.

CSTA's options take the reference's spelling (``--Softmax_axis TD``, the command lines its users
already have) and the documented kebab-case one (``--softmax-axis TD``); both write the same value.
PGL-SUM's and CA-SUM's options also take their authors' spelling (``--n_segments``, ``--block_size``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import (
    METHOD_CONFIGS,
    CASumConfig,
    Fusion,
    ModelConfig,
    ModelConfigError,
    PGLPositionalEncoding,
    PGLSumConfig,
    option_values,
    parse_option,
)
from engine.cli import whole_number
from utils.errors import ProjectError

DEFAULT_METHOD = "CSTA"
METHOD_NAMES = tuple(METHOD_CONFIGS)  # the keys of models.methods.METHODS (a test holds them equal)
# Option names that stand for the method itself in ModelChoice.given and in messages.
METHOD_OPTION = "method"


class ModelChoiceError(ProjectError, ValueError):
    """Model flags that cannot be honoured: an option of another method, or a flag that contradicts
    the record beside the weights; the message names the values and, for a record, its file."""


@dataclass(frozen=True)
class ModelFlag:
    """One model option on the command line."""

    method: str  # the method the option belongs to
    option: str  # its key in the method's options (config.to_options / from_options)
    spellings: tuple[str, ...]  # the documented kebab-case flag first, then the reference's or authors' one
    parse: Callable[[str], object]  # text -> typed value; raises ValueError or ProjectError naming the valid values
    metavar: str
    help: str

    @property
    def dest(self) -> str:
        """The argparse attribute, e.g. csta_softmax_axis: prefixed by the method, so no two methods' options collide."""
        method = self.method.lower().replace("-", "")
        return f"{method}_{self.option.lower()}"

    @property
    def flag(self) -> str:
        return self.spellings[0]


def _csta_parser(option: str) -> Callable[[str], object]:
    def parse(text: str) -> object:
        if option == "model_name":
            return ModelConfig.split_model_name(text)  # validates; the text itself is kept (see _argparse_type)
        return parse_option(option, text)

    return parse


def _none_or(parse: Callable[[str], object]) -> Callable[[str], object]:
    def parse_optional(text: str) -> object:
        return None if text.strip().lower() == "none" else parse(text)

    return parse_optional


def _enum_parser(kind: type) -> Callable[[str], object]:
    def parse(text: str) -> object:
        for member in kind:
            if member.value == text.strip().lower():
                return member
        raise ValueError(f"unknown value {text!r}; choose one of {', '.join(m.value for m in kind)}, None")

    return parse


def _values(option: str) -> str:
    return "{" + ",".join(option_values(option)) + "}"


_CSTA_HELP = {
    "model_name": "backbone and value source (the released model: GoogleNet_Attention)",
    "Scale": "divide the attention map by sqrt of D, T or both before the softmax (released: None)",
    "Softmax_axis": "softmax over time, features or both (released: TD)",
    "Balance": "rebalance the two softmax maps for T != D; needs Softmax_axis TD (released: None)",
    "Positional_encoding": "fixed, relative, learnt or conditional positions (released: FPE)",
    "Positional_encoding_shape": "positions per step and feature (TD) or per step (T) (released: TD)",
    "Positional_encoding_way": "where positions and dropout go (released: PGL_SUM)",
    "Dropout_on": "dropout on the softmax maps or the input (released: true)",
    "Dropout_ratio": "that dropout's ratio, 0 to 1 (released: 0.6)",
    "Classifier_on": "a regression head (false: mean over features) (released: true)",
    "CLS_on": "a learnt CLS row on top of the steps (released: true)",
    "CLS_mix": "where the CLS row is averaged into the steps; needs CLS_on (released: Final)",
    "key_value_emb": "linear embeddings of the key and/or the values (released: kv)",
    "Skip_connection": "key to CNN output, CNN output or input to the weighted features (released: KC)",
    "Layernorm": "a normalisation after the skip connection (released: true)",
}


def _csta_flags() -> list[ModelFlag]:
    flags = []
    for option, text in _CSTA_HELP.items():
        kebab = "--" + option.lower().replace("_", "-")
        metavar = {"Dropout_ratio": "NUMBER", "model_name": "NAME"}.get(option) or _values(option)
        if option == "model_name":
            text += ": " + ", ".join(option_values(option))
        flags.append(ModelFlag(DEFAULT_METHOD, option, (kebab, f"--{option}"), _csta_parser(option), metavar, text))
    return flags


_PGL, _CA = "PGL-SUM", "CA-SUM"
_PGL_DEFAULTS, _CA_DEFAULTS = PGLSumConfig(), CASumConfig()

MODEL_FLAGS: tuple[ModelFlag, ...] = (
    *_csta_flags(),
    ModelFlag(_PGL, "heads", ("--heads",), whole_number(1), "N", f"PGL-SUM: global attention heads (authors': {_PGL_DEFAULTS.heads})"),
    ModelFlag(_PGL, "num_segments", ("--segments", "--n_segments"), _none_or(whole_number(2)), "{N,None}",
              f"PGL-SUM: local attentions, one per segment; None: global attention only (authors': {_PGL_DEFAULTS.num_segments})"),
    ModelFlag(_PGL, "fusion", ("--fusion",), _none_or(_enum_parser(Fusion)), "{" + ",".join(f.value for f in Fusion) + ",None}",
              f"PGL-SUM: how local and global attention join (authors': {_PGL_DEFAULTS.fusion.value})"),
    ModelFlag(_PGL, "positional_encoding", ("--pos-enc", "--pos_enc"), _none_or(_enum_parser(PGLPositionalEncoding)),
              "{" + ",".join(p.value for p in PGLPositionalEncoding) + ",None}",
              f"PGL-SUM: positions added to the attention energies (authors': {_PGL_DEFAULTS.positional_encoding.value})"),
    ModelFlag(_CA, "block_size", ("--block-size", "--block_size"), whole_number(1), "STEPS",
              f"CA-SUM: steps per diagonal block of the attention matrix (authors': {_CA_DEFAULTS.block_size})"),
)
# CA-SUM's length factor sigma is a training option (train.py --length-factor), not a model option.


def _argparse_type(flag: ModelFlag) -> Callable[[str], str]:
    """Checks the value at parse time (argparse reports the message after the flag) and keeps the text,
    so that an explicit 'None' stays distinguishable from a flag not given."""

    def check(text: str) -> str:
        try:
            flag.parse(text)
        except (ValueError, ProjectError) as error:
            raise argparse.ArgumentTypeError(str(error)) from error
        return text

    check.__name__ = flag.option  # argparse names the type in some messages
    return check


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--method and every method's options, each defaulting to None (not given)."""
    parser.add_argument("--method", choices=METHOD_NAMES, default=None,
                        help=f"the model to build (default: {DEFAULT_METHOD}, or the method the weights' record names)")
    titles = {
        DEFAULT_METHOD: "CSTA variant (default: the released configuration; each option also takes the reference's "
        "spelling, shown second; None/none means off; booleans take true/false/yes/no/1/0)",
        _PGL: "PGL-SUM options (--method PGL-SUM; default: its authors' configuration)",
        _CA: "CA-SUM options (--method CA-SUM; default: its authors' configuration)",
    }
    for method, title in titles.items():
        group = parser.add_argument_group(title)
        for flag in MODEL_FLAGS:
            if flag.method == method:
                group.add_argument(*flag.spellings, dest=flag.dest, type=_argparse_type(flag), default=None,
                                   metavar=flag.metavar, help=flag.help)


def model_flag_dests() -> set[str]:
    """The argparse attributes add_model_arguments adds (for tests that walk a parser's flags)."""
    return {flag.dest for flag in MODEL_FLAGS} | {METHOD_OPTION}


@dataclass(frozen=True)
class ModelChoice:
    """The model a run builds: the method, its options (its config type) and which of them the user named."""

    method: str
    config: Any  # ModelConfig, PGLSumConfig or CASumConfig (config.METHOD_CONFIGS[method])
    given: frozenset[str] = frozenset()  # option names set explicitly (a record: all); 'method' when --method was given

    def options(self) -> dict:
        """The options as JSON values, as a record holds them (CSTA: the reference's names)."""
        return self.config.to_options()

    def describe(self) -> str:
        """One line for logs and reports: the method and the options that differ from its defaults."""
        defaults = METHOD_CONFIGS[self.method]().to_options()
        changed = [f"{key}={value}" for key, value in self.options().items() if defaults.get(key) != value]
        return f"{self.method} ({', '.join(changed)})" if changed else f"{self.method} (defaults)"


def _flag_of(method: str, option: str) -> str:
    for flag in MODEL_FLAGS:
        if flag.method == method and flag.option == option:
            return flag.flag
    return option  # an option no flag sets (feature_dim, ...): only records hold it


def config_from_options(method: str, options: Mapping[str, object]) -> Any:
    """The method's config from option values (typed, or text as the flags give it)."""
    if method not in METHOD_CONFIGS:
        raise ModelChoiceError(f"unknown method {method!r}; choose one of {', '.join(METHOD_NAMES)}")
    return METHOD_CONFIGS[method].from_options(dict(options))


def model_choice_from_args(args: argparse.Namespace) -> ModelChoice:
    """The model the flags ask for, validated before any data is read.

    Raises:
        ModelChoiceError: an option of another method (named, with the flag to choose it).
        ModelConfigError, MethodConfigError: a combination the method does not define (the message says why).
    """
    method = getattr(args, "method", None) or DEFAULT_METHOD
    given = {flag: getattr(args, flag.dest) for flag in MODEL_FLAGS if getattr(args, flag.dest, None) is not None}
    foreign = [flag for flag in given if flag.method != method]
    if foreign:
        lines = [f"{flag.flag} is an option of {flag.method}, not of {method}: choose that method with --method {flag.method}"
                 for flag in foreign]
        raise ModelChoiceError("\n".join(lines))
    options = {flag.option: (text if flag.method == DEFAULT_METHOD else flag.parse(text)) for flag, text in given.items()}
    config = config_from_options(method, options)
    names = {flag.option for flag in given} | ({METHOD_OPTION} if getattr(args, "method", None) else set())
    return ModelChoice(method, config, frozenset(names))


def choice_from_record(record: Mapping[str, Any] | None) -> ModelChoice | None:
    """The model a training record describes (every option given); None without a record.

    A record written before methods and variants existed (no "method") describes CSTA's released
    configuration, the only model that could be trained then.
    """
    if record is None:
        return None
    method = record.get("method", DEFAULT_METHOD)
    options = record.get("model_options") or {}
    if not isinstance(options, Mapping):
        raise ModelChoiceError(f"the record's model_options must be a mapping of option names to values, not {options!r}")
    config = config_from_options(method, options)
    return ModelChoice(method, config, frozenset({METHOD_OPTION, *config.to_options()}))


def reconcile(flags: ModelChoice, record_choice: ModelChoice | None, record_path: Path | str | None) -> ModelChoice:
    """The model to build for weights with (or without) a record: the record wins for what it holds;
    a flag that contradicts it is an error naming both values and the record file; no record: the flags.
    """
    if record_choice is None:
        return flags
    where = f"the record {record_path}" if record_path is not None else "the weights' record"
    if METHOD_OPTION in flags.given and flags.method != record_choice.method:
        raise ModelChoiceError(f"--method {flags.method} contradicts {where}, which says the weights are {record_choice.method}")
    options = {key for key in flags.given if key != METHOD_OPTION}
    if options and flags.method != record_choice.method:
        names = ", ".join(_flag_of(flags.method, key) for key in sorted(options))
        raise ModelChoiceError(f"{names}: option(s) of {flags.method}, but {where} says the weights are {record_choice.method}")
    ours, theirs = flags.options(), record_choice.options()
    conflicts = [f"{_flag_of(flags.method, key)} {_spelled(ours.get(key))} contradicts {where}, which says {_spelled(theirs.get(key))}"
                 for key in sorted(options) if _canonical(ours.get(key)) != _canonical(theirs.get(key))]
    if conflicts:
        raise ModelChoiceError("\n".join(conflicts))
    return record_choice


def _canonical(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _spelled(value: object) -> str:
    return "None" if value is None else str(value)


__all__ = [
    "DEFAULT_METHOD", "METHOD_NAMES", "MODEL_FLAGS", "ModelChoice", "ModelChoiceError", "ModelConfigError", "ModelFlag",
    "add_model_arguments", "choice_from_record", "config_from_options", "model_choice_from_args", "model_flag_dests", "reconcile",
]  # fmt: skip
