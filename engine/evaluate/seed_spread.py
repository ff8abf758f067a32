"""Several training runs: the spread of each dataset's final numbers over seeds (the paper: ten runs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evaluation.protocol import MeanMetrics


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


def seeds_table(spreads: list[SeedSpread], notes: str = "") -> str:
    """One row per dataset: mean ± std over seeds of F1, tau and rho."""
    lines = [f"  {'dataset':<8}{'runs':>5}{'F1 (%)':>17}{'tau':>17}{'rho':>17}  seeds"]
    for s in spreads:
        cells = [f"{m:.2f} ± {d:.2f}" for m, d in [(s.mean.f1, s.std.f1)]]
        cells += [f"{m:.3f} ± {d:.3f}" for m, d in [(s.mean.kendall, s.std.kendall), (s.mean.spearman, s.std.spearman)]]
        lines.append(f"  {s.dataset:<8}{len(s.seeds):>5}" + "".join(f"{c:>17}" for c in cells) + f"  {' '.join(map(str, s.seeds))}")
    return "\n".join(lines) + (f"\n{notes}" if notes else "")
