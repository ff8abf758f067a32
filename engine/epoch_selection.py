"""Which epoch's weights to keep (reference section 4)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch

from evaluation.protocol import MeanMetrics


class BestEpochKeeper:
    """Keeps a copy of the weights of the last epoch whose mean Kendall tau AND mean Spearman rho
    both beat the best so far (the paper selects on the split's test videos).

    NaN never beats anything, as in the reference.
    """

    def __init__(self) -> None:
        self.best_kendall = -1.0
        self.best_spearman = -1.0
        self.epoch: int | None = None
        self.metrics: MeanMetrics | None = None
        self.state: dict[str, torch.Tensor] | None = None

    def improves(self, metrics: MeanMetrics) -> bool:
        return metrics.kendall > self.best_kendall and metrics.spearman > self.best_spearman

    def offer(self, epoch: int, metrics: MeanMetrics, model: torch.nn.Module) -> bool:
        """Keep ``model``'s weights if ``metrics`` improve on both; returns whether they were kept."""
        if not self.improves(metrics):
            return False
        self.best_kendall, self.best_spearman = metrics.kendall, metrics.spearman
        self.epoch, self.metrics = epoch, metrics
        self.state = {key: copy.deepcopy(value.detach()).cpu() for key, value in model.state_dict().items()}
        return True

    def state_dict(self) -> dict[str, Any]:
        """Everything the keeper knows, as plain values and tensors (a resumable run's checkpoint, engine/resume.py)."""
        return {
            "best_kendall": self.best_kendall, "best_spearman": self.best_spearman, "epoch": self.epoch,
            "metrics": None if self.metrics is None else self.metrics.as_dict(), "state": self.state,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Become the keeper ``state_dict`` described."""
        self.best_kendall, self.best_spearman = state["best_kendall"], state["best_spearman"]
        self.epoch, self.state = state["epoch"], state["state"]
        self.metrics = None if state["metrics"] is None else MeanMetrics(**state["metrics"])
