"""An exponential moving average of a model's weights, kept beside the trained model (SummDiff's --ema).

SummDiff's authors (model/solver.py, --ema, decay --ema_decay 0.999) copy the model when training
starts, then after every optimiser step move each *parameter* of the copy towards the model's:
average = decay * average + (1 - decay) * weight. There is no warm-up and no bias correction, and
the copy's buffers are never updated (SummDiff's are its fixed noise schedule). The copy is what
they evaluate after every epoch, what their epoch rule keeps and what they test, so the training
loop here evaluates, keeps and saves the average in the model's own state_dict layout.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

__all__ = ["WeightAverage"]


class WeightAverage:
    """The moving average of ``model``'s parameters, updated after every step of the optimiser it is attached to."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0 <= decay < 1:
            raise ValueError(f"the weight average's decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(model)  # the same layout, so its state_dict loads wherever the model's does
        for parameter in self.module.parameters():
            parameter.requires_grad_(False)
        self.module.eval()  # never trained: only evaluated

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """One step of the average towards ``model``'s current parameters (buffers stay as they were copied)."""
        averaged = dict(self.module.named_parameters())
        for name, parameter in model.named_parameters():
            averaged[name].mul_(self.decay).add_(parameter.detach(), alpha=1 - self.decay)

    def attach(self, optimizer: torch.optim.Optimizer, model: nn.Module) -> None:
        """Update the average after every ``optimizer.step()`` (the authors' order: step, then average)."""
        optimizer.register_step_post_hook(lambda *_: self.update(model))

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights, on the CPU (a run checkpoint's part)."""
        return {key: value.detach().cpu().clone() for key, value in self.module.state_dict().items()}

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        """Become the average ``state_dict`` saved (a resumed run goes on averaging from it)."""
        self.module.load_state_dict(state)
