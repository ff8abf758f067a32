"""Reading and writing CSTA weights in the released layout (plain ``state_dict`` files)."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from utils import atomic_output

# Prefixes some training wrappers add to every key; stripping them costs nothing and is unambiguous.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")


class CheckpointMismatch(ValueError):
    """A weights file whose tensors do not fit the model."""


def _unwrap(state: object, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointMismatch(f"{path}: not a CSTA state_dict (a mapping from names to tensors)")
    for prefix in _WRAPPER_PREFIXES:
        if state and all(key.startswith(prefix) for key in state):
            state = {key[len(prefix):]: value for key, value in state.items()}
    return state


def describe_mismatch(model: nn.Module, state: dict[str, torch.Tensor]) -> str:
    """Missing keys, unexpected keys and shape mismatches, one line each; '' when they fit."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = sorted(
        f"{key}: file {tuple(state[key].shape)}, model {tuple(expected[key].shape)}"
        for key in set(expected) & set(state)
        if state[key].shape != expected[key].shape
    )
    lines = []
    for title, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
        if items:
            lines.append(f"  {title} ({len(items)}): " + ", ".join(items[:20]) + (" ..." if len(items) > 20 else ""))
    return "\n".join(lines)


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Load a CSTA weights file (ours or the reference implementation's) into ``model``, strictly."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"weights file not found: {path} (train it with train.py, or put the released CSTA weights there: "
            "see README, 'Real data and weights')"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many types for a bad file
        raise CheckpointMismatch(f"{path}: cannot be read as a PyTorch weights file ({error})") from error
    state = _unwrap(state, path)
    problems = describe_mismatch(model, state)
    if problems:
        raise CheckpointMismatch(f"{path} does not fit the CSTA model:\n{problems}")
    model.load_state_dict(state)


def save_checkpoint(state: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Write a state_dict in the released layout, atomically (never a half-written file)."""
    with atomic_output(path) as tmp:
        torch.save({key: value.detach().cpu() for key, value in state.items()}, tmp)
