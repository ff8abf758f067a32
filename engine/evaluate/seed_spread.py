"""Several training runs: the spread of each dataset's final numbers over seeds (the paper: ten runs); and for a
method that samples its scores (SummDiff), the spread over the sampling seeds of the same weights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evaluation.protocol import MeanMetrics, mean_metrics


@dataclass(frozen=True)
class SeedSpread:
    """Mean and standard deviation over seeds of a dataset's mean-over-splits metrics."""

    dataset: str
    seeds: tuple[int, ...]
    per_seed: tuple[MeanMetrics, ...]
    mean: MeanMetrics
    std: MeanMetrics  # sample standard deviation (ddof = 1); 0 for a single seed

    def as_dict(self) -> dict:
        return {
            "seeds": list(self.seeds),
            "per_seed": [m.as_dict() for m in self.per_seed],
            "mean": self.mean.as_dict(),
            "std": self.std.as_dict(),
            "std_convention": "sample standard deviation over seeds (ddof=1)",
        }


def spread_over_seeds(dataset: str, per_seed: Mapping[int, MeanMetrics]) -> SeedSpread:
    """Args: per_seed: {seed: that run's mean over splits}, at least one run."""
    if not per_seed:
        raise ValueError(f"{dataset}: no runs to summarise")
    seeds = tuple(per_seed)
    values = np.array([[m.f1, m.kendall, m.spearman] for m in per_seed.values()], dtype=np.float64)
    mean = values.mean(axis=0)
    std = values.std(axis=0, ddof=1) if len(seeds) > 1 else np.zeros(3)
    return SeedSpread(dataset, seeds, tuple(per_seed.values()), MeanMetrics(*map(float, mean)), MeanMetrics(*map(float, std)))


def _row(label: str, width: int, s: SeedSpread) -> str:
    cells = [f"{m:.2f} ± {d:.2f}" for m, d in [(s.mean.f1, s.std.f1)]]
    cells += [f"{m:.3f} ± {d:.3f}" for m, d in [(s.mean.kendall, s.std.kendall), (s.mean.spearman, s.std.spearman)]]
    return f"  {label:<{width}}{len(s.seeds):>5}" + "".join(f"{c:>17}" for c in cells) + f"  {' '.join(map(str, s.seeds))}"


def seeds_table(spreads: list[SeedSpread], notes: str = "") -> str:
    """One row per dataset: mean ± std over seeds of F1, tau and rho."""
    lines = [f"  {'dataset':<8}{'runs':>5}{'F1 (%)':>17}{'tau':>17}{'rho':>17}  seeds"]
    lines += [_row(s.dataset, 8, s) for s in spreads]
    return "\n".join(lines) + (f"\n{notes}" if notes else "")


@dataclass(frozen=True)
class DrawSpread:
    """The same weights scored once per sampling seed (and per training seed): the two marginal spreads."""

    dataset: str
    over_sampling: SeedSpread  # per sampling seed, its metrics averaged over the training seeds
    over_training: SeedSpread | None  # per training seed, its metrics averaged over the draws; None for one training run

    def as_dict(self) -> dict:
        return {"across_sampling_seeds": self.over_sampling.as_dict(),
                "across_training_seeds": self.over_training.as_dict() if self.over_training is not None else None}


def spread_over_draws(dataset: str, grid: Mapping[int | None, Mapping[int, MeanMetrics]]) -> DrawSpread:
    """Args: grid: {training seed (None: the one run): {sampling seed: that scoring's mean over splits}}, every training
    seed with the same sampling seeds."""
    training = list(grid)
    draws = list(grid[training[0]]) if training else []
    if not draws or any(list(row) != draws for row in grid.values()):
        raise ValueError(f"{dataset}: every training seed needs the same sampling seeds, got {dict(grid)}")
    over_sampling = spread_over_seeds(dataset, {draw: mean_metrics([grid[seed][draw] for seed in training]) for draw in draws})
    over_training = (spread_over_seeds(dataset, {seed: mean_metrics([grid[seed][draw] for draw in draws]) for seed in training})
                     if len(training) > 1 else None)
    return DrawSpread(dataset, over_sampling, over_training)


def draws_table(spread: DrawSpread, notes: str = "") -> str:
    """Mean ± std of F1, tau and rho over the sampling seeds, and over the training seeds when there are several."""
    lines = [f"  {spread.dataset + ', over':<24}{'runs':>5}{'F1 (%)':>17}{'tau':>17}{'rho':>17}  seeds",
             _row("sampling seeds", 24, spread.over_sampling)]
    if spread.over_training is not None:
        lines.append(_row("training seeds", 24, spread.over_training))
    return "\n".join(lines) + (f"\n{notes}" if notes else "")
