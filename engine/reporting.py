"""Tables for people and JSON for tools."""

from __future__ import annotations

import math

from engine.inference import DatasetEvaluation
from engine.training import SplitTraining


def _fmt(value: float, digits: int) -> str:
    return "nan" if math.isnan(value) else f"{value:.{digits}f}"


def labels(synthetic: bool, stand_in: bool) -> str:
    """The warning every table carries when its numbers are not from the real benchmark."""
    notes = []
    if synthetic:
        notes.append("SYNTHETIC data, not the real benchmark")
    if stand_in:
        notes.append("STAND-IN backbone, not real ImageNet weights")
    return f"  [{'; '.join(notes)}]" if notes else ""


def evaluation_table(result: DatasetEvaluation) -> str:
    """Per-split and mean F1 / Kendall tau / Spearman rho."""
    lines = [
        f"{result.dataset}  ({result.data_file}){labels(result.synthetic, result.stand_in_backbone)}",
        f"  {'split':<8}{'F1 (%)':>9}{'tau':>9}{'rho':>9}",
    ]
    for split in result.splits:
        m = split.metrics
        lines.append(f"  {split.split:<8}{_fmt(m.f1, 2):>9}{_fmt(m.kendall, 3):>9}{_fmt(m.spearman, 3):>9}")
    mean = result.mean
    lines.append(f"  {'mean':<8}{_fmt(mean.f1, 2):>9}{_fmt(mean.kendall, 3):>9}{_fmt(mean.spearman, 3):>9}")
    return "\n".join(lines)


def evaluation_json(results: list[DatasetEvaluation]) -> dict:
    """{dataset: {"splits": [{"split", "f1", "kendall", "spearman"}], "mean": {...}, ...}}."""
    payload = {}
    for result in results:
        payload[result.dataset] = {
            "data_file": str(result.data_file),
            "synthetic_data": result.synthetic,
            "stand_in_backbone": result.stand_in_backbone,
            "splits": [
                {"split": s.split, "weights": str(s.weights_path), **s.metrics.as_dict(),
                 "videos": [vars(v) for v in s.videos]}
                for s in result.splits
            ],
            "mean": result.mean.as_dict(),
        }
    return payload


def training_table(results: list[SplitTraining], synthetic: dict[str, bool], stand_in: bool) -> str:
    """One row per trained split: the kept epoch and its test metrics."""
    lines = [f"  {'dataset':<8}{'split':>6}{'epoch':>7}{'F1 (%)':>9}{'tau':>9}{'rho':>9}  weights"]
    for r in results:
        m = r.metrics
        lines.append(
            f"  {r.dataset:<8}{r.split:>6}{r.best_epoch:>7}{_fmt(m.f1, 2):>9}{_fmt(m.kendall, 3):>9}"
            f"{_fmt(m.spearman, 3):>9}  {r.weights_path}"
        )
    notes = labels(any(synthetic.values()), stand_in)
    return "\n".join(lines) + (f"\n{notes.strip()}" if notes else "")
