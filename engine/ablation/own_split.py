"""What the ablations of the data sets with their own train/val/test split (VideoXum, Mr.HiSum, MoSu) share: the job
(one split, several seeds) and the per-seed choice between a run's existing weights and training it now. Each source
says where its weights go, how its plan is made and how a run is scored (sources/<name>/ablation.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from config import TrainConfig
from engine.ablation.grid import Variant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OwnSplitAblationJob:
    """The data set's three splits (opened and checked), the seeds, the training protocol and where weights go."""

    data: Any
    seeds: Sequence[int]
    train_cfg: TrainConfig  # its seed is replaced by each of ``seeds``
    weights_dir: Path
    device: torch.device

    @property
    def seed_folders(self) -> bool:
        return len(self.seeds) > 1

    def weights_path(self, variant: Variant, seed: int) -> Path:
        """Where the run of ``variant`` with ``seed`` keeps its weights (each source's own layout)."""
        raise NotImplementedError


def weights_per_seed(variant: Variant, job: OwnSplitAblationJob, name: str, train: Callable[[int], Any],
                     training_note: str = "") -> tuple[list[Path], int, int]:
    """Each seed's weights in the seeds' order: the run's existing ones (not trained again) or those ``train(seed)``
    writes now (its result's weights_path); and how many runs were trained and how many were already there."""
    paths, trained = [], 0
    for seed in job.seeds:
        path = job.weights_path(variant, seed)
        if path.is_file():
            log.info("%s: %s seed %d: weights exist, not trained again (%s)", variant.name, name, seed, path)
        else:
            log.info("%s: training %s seed %d%s", variant.name, name, seed, training_note)
            path = Path(train(seed).weights_path)
            trained += 1
        paths.append(path)
    return paths, trained, len(paths) - trained
