"""Which model a weights file is, and building it: what every consumer of weights files shares.

inference.py, VideoXum's evaluation and generate_video.py all score a weights file as the model
its record (split<k>.json, written by train.py) names, the flags filling in for released weights.
Kept apart from the evaluation loop so that generate_video.py builds its model without importing
the evaluation protocol, the training loop or their plots (seconds of imports on a 2-core CPU).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from engine.run_paths import record_path_for
from models.method_choice import ModelChoice, choice_from_record, reconcile
from models.methods import EpochRule, method_spec

log = logging.getLogger(__name__)

__all__ = ["build_model", "model_for_weights", "read_training_record", "selection_rule_of"]


def read_training_record(weights_path: Path) -> dict | None:
    """The JSON record train.py writes beside a weights file, if any (released weights have none).
    A record that cannot be read, or is not a JSON object, is ignored with a warning."""
    record_path = record_path_for(weights_path)
    if not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        log.warning("ignoring unreadable training record %s", record_path)
        return None
    if not isinstance(record, dict):
        log.warning("ignoring training record %s: not a JSON object", record_path)
        return None
    return record


def model_for_weights(flags: ModelChoice, weights_path: Path) -> tuple[ModelChoice, dict | None]:
    """The model a weights file is scored as, and the record beside it (None for released weights).

    Raises:
        ModelChoiceError: a flag contradicts the record (the message names both values and the file).
    """
    record = read_training_record(weights_path)
    return reconcile(flags, choice_from_record(record), record_path_for(weights_path)), record


def selection_rule_of(record: dict | None) -> EpochRule | None:
    """The epoch-selection rule a record names; CSTA's best-on-test for records written before the rules were selectable."""
    if record is None:
        return None
    value = record.get("selection_rule", EpochRule.BEST_ON_TEST.value)
    try:
        return EpochRule(value)
    except ValueError:
        return None


def build_model(choice: ModelChoice, device: torch.device) -> torch.nn.Module:
    """A model of the chosen method and options, ready to receive a whole weights file (trunk included)."""
    return method_spec(choice.method).build(choice.config, device=device)
