"""Fine-tuning (train.py --init PATH): every split starts from compatible weights instead of a fresh model.

The file (one per split when PATH holds "{split}") is checked against the model once, before any
epoch, so a file of another method or variant fails at once with models/checkpoint's message; the
training record names the file and its sha256, so the weights say where they started from.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from torch import nn

from engine.train.run_config import TrainingPlan
from models.checkpoint import load_checkpoint
from utils.files import sha256_of


def start_from_init(model: nn.Module, plan: TrainingPlan, split: int) -> None:
    """Load the split's --init weights into a freshly built model (nothing when the plan has none).

    Raises:
        FileNotFoundError, CheckpointMismatch: as models.checkpoint.load_checkpoint (naming the file).
    """
    path = plan.init_path(split)
    if path is not None:
        load_checkpoint(model, path)


def check_init_weights(plan: TrainingPlan, splits: Iterable[int]) -> list[Path]:
    """Refuse, before training, --init files that are missing or do not fit the plan's model; returns the files checked."""
    checked: dict[Path, None] = {}
    for split in splits:
        path = plan.init_path(split)
        if path is None or path in checked:
            continue
        model = plan.spec.build(plan.model_config, None, "cpu")  # random trunk: every weight is replaced by the file's
        load_checkpoint(model, path)
        checked[path] = None
    return list(checked)


def init_record(plan: TrainingPlan, split: int) -> dict:
    """The record fields saying which weights a split was fine-tuned from (none for a fresh start)."""
    path = plan.init_path(split)
    if path is None:
        return {"init_weights": None}
    return {"init_weights": str(path), "init_weights_sha256": sha256_of(path)}
