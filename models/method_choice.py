"""Which model a run builds (a method and its options), and how a command line's choice meets the record
beside a weights file.

Torch- and numpy-free, as models/methods.py: a script refuses a bad choice before loading either.
The command line that makes a ModelChoice is cli/method_options.py; the packages below take the
ModelChoice itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.methods import DEFAULT_METHOD, METHODS, method_spec
from utils.errors import ProjectError

# The name that stands for the method itself in ModelChoice.given and in messages.
METHOD_OPTION = "method"


class ModelChoiceError(ProjectError, ValueError):
    """Model flags that cannot be honoured: an option of another method, or a flag that contradicts
    the record beside the weights; the message names the values and, for a record, its file."""


@dataclass(frozen=True)
class ModelChoice:
    """The model a run builds: the method, its options (its config type) and which of them the user named."""

    method: str
    config: Any  # the method's options: an instance of METHODS[method].config_type
    given: frozenset[str] = frozenset()  # option names set explicitly (a record: all); 'method' when --method was given

    def options(self) -> dict:
        """The options as JSON values, as a record holds them (CSTA: the reference's names)."""
        return self.config.to_options()

    def describe(self) -> str:
        """One line for logs and reports: the method and the options that differ from its defaults."""
        defaults = method_spec(self.method).default_config().to_options()
        changed = [f"{key}={value}" for key, value in self.options().items() if defaults.get(key) != value]
        return f"{self.method} ({', '.join(changed)})" if changed else f"{self.method} (defaults)"


def config_from_options(method: str, options: Mapping[str, object]) -> Any:
    """The method's config from option values (typed, or text as the flags give it)."""
    if method not in METHODS:
        raise ModelChoiceError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[method].config_type.from_options(dict(options))


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
    # options of how scores are drawn from the weights (SummDiff's sampling) may differ from the training run's
    free = options & method_spec(flags.method).sampling_options
    conflicts = [f"{_flag_of(flags.method, key)} {_spelled(ours.get(key))} contradicts {where}, which says {_spelled(theirs.get(key))}"
                 for key in sorted(options - free) if _canonical(ours.get(key)) != _canonical(theirs.get(key))]
    if conflicts:
        raise ModelChoiceError("\n".join(conflicts))
    if free:
        merged = {**theirs, **{key: ours[key] for key in free}}
        return ModelChoice(record_choice.method, config_from_options(record_choice.method, merged), record_choice.given)
    return record_choice


def with_sampling_seed(choice: ModelChoice, seed: int) -> ModelChoice:
    """The choice with its sampling noise drawn from ``seed`` (a sampled method's sample_seed, which a record does not
    fix); a method that predicts without sampling is a ModelChoiceError naming the one that samples."""
    spec = method_spec(choice.method)
    if "sample_seed" not in spec.sampling_options:
        sampled = ", ".join(name for name, other in METHODS.items() if "sample_seed" in other.sampling_options)
        raise ModelChoiceError(f"--sample-seeds draws a sampled method's scores once per seed, and {choice.method} predicts "
                               f"without sampling: give --method {sampled} for its weights")
    options = {**choice.options(), "sample_seed": seed}
    return ModelChoice(choice.method, config_from_options(choice.method, options), choice.given | {"sample_seed"})


def _flag_of(method: str, option: str) -> str:
    for declared in method_spec(method).options:
        if declared.name == option:
            return declared.flag
    return option  # an option no flag sets (feature_dim, ...): only records hold it


def _canonical(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _spelled(value: object) -> str:
    return "None" if value is None else str(value)


__all__ = ["METHOD_OPTION", "ModelChoice", "ModelChoiceError", "choice_from_record", "config_from_options", "reconcile",
           "with_sampling_seed"]
