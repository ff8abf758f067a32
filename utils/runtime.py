"""The torch side of the configuration: choosing the device and seeding, kept out of config.py so
that importing the configuration (and the numpy-only evaluation) does not load torch."""

from __future__ import annotations

import random

import numpy as np
import torch

from utils.errors import ProjectError


class DeviceUnavailable(ProjectError):
    """A device was asked for that this machine does not have."""


def select_device(requested: str | None = None) -> torch.device:
    """The device to run on: the requested one, else CUDA when present, else the CPU."""
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError as error:
            raise DeviceUnavailable(f"{requested!r} is not a torch device (try cpu, cuda or cuda:1)") from error
        if device.type == "cuda" and not torch.cuda.is_available():
            raise DeviceUnavailable(f"device {requested} was asked for but CUDA is not available here")
        if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"device {requested} was asked for but this machine has {torch.cuda.device_count()} CUDA device(s)")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def synchronise(device: torch.device) -> None:
    """Wait for ``device``'s queued work (CUDA runs asynchronously), so that a clock read next times it; nothing on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seed_everything(seed: int) -> None:
    """Seed every generator training draws from, so a split trains the same whether run alone or not."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
