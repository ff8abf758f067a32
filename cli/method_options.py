"""--method and every method's model options as flags, for train.py, inference.py and generate_video.py.

The flags are made from the options each MethodSpec declares (models/methods.py), so a new method
brings its flags with its spec. Standard library, config.py and the torch- and numpy-free models
modules only, so that ``--help`` and argument errors answer before torch is imported. Every flag
defaults to None (not given), so a ModelChoice knows which options the user named: those are
checked against the record beside the weights, the others come from the record or the defaults.

CSTA's options take the reference's spelling (``--Softmax_axis TD``, the command lines its users
already have) and the documented kebab-case one (``--softmax-axis TD``); both write the same value.
PGL-SUM's and CA-SUM's options also take their authors' spelling (``--n_segments``, ``--block_size``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from models.method_choice import METHOD_OPTION, ModelChoice, ModelChoiceError, config_from_options
from models.methods import DEFAULT_METHOD, METHODS, MethodOption, MethodSpec
from utils.errors import ProjectError


def option_dest(spec: MethodSpec, option: MethodOption) -> str:
    """The argparse attribute, e.g. csta_softmax_axis: prefixed by the method, so no two methods' options collide."""
    method = spec.name.lower().replace("-", "")
    return f"{method}_{option.name.lower()}"


def _argparse_type(option: MethodOption) -> Callable[[str], str]:
    """Checks the value at parse time (argparse reports the message after the flag) and keeps the text,
    so that an explicit 'None' stays distinguishable from a flag not given."""

    def check(text: str) -> str:
        try:
            option.parse(text)
        except (ValueError, ProjectError) as error:
            raise argparse.ArgumentTypeError(str(error)) from error
        return text

    check.__name__ = option.name  # argparse names the type in some messages
    return check


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--method and every method's options, one group per method, each defaulting to None (not given)."""
    parser.add_argument("--method", choices=tuple(METHODS), default=None,
                        help=f"the model to build (default: {DEFAULT_METHOD}, or the method the weights' record names)")
    for spec in METHODS.values():
        group = parser.add_argument_group(spec.options_title)
        for option in spec.options:
            group.add_argument(*option.spellings, dest=option_dest(spec, option), type=_argparse_type(option), default=None,
                               metavar=option.metavar, help=option.help)


def model_flag_dests() -> set[str]:
    """The argparse attributes add_model_arguments adds (for tests that walk a parser's flags)."""
    return {option_dest(spec, option) for spec in METHODS.values() for option in spec.options} | {METHOD_OPTION}


def model_choice_from_args(args: argparse.Namespace) -> ModelChoice:
    """The model the flags ask for, validated before any data is read.

    Raises:
        ModelChoiceError: an option of another method (named, with the flag to choose it).
        ModelConfigError, MethodConfigError: a combination the method does not define (the message says why).
    """
    method = getattr(args, "method", None) or DEFAULT_METHOD
    given = [(spec, option, text) for spec in METHODS.values() for option in spec.options
             if (text := getattr(args, option_dest(spec, option), None)) is not None]
    foreign = [f"{option.flag} is an option of {spec.name}, not of {method}: choose that method with --method {spec.name}"
               for spec, option, _ in given if spec.name != method]
    if foreign:
        raise ModelChoiceError("\n".join(foreign))
    config = config_from_options(method, {option.name: option.parse(text) for _, option, text in given})
    names = {option.name for _, option, _ in given} | ({METHOD_OPTION} if getattr(args, "method", None) else set())
    return ModelChoice(method, config, frozenset(names))


__all__ = ["add_model_arguments", "model_choice_from_args", "model_flag_dests", "option_dest"]
