"""Several methods under one protocol (inference.py --compare): one table per dataset with a row per
weights folder evaluated here (mean over splits; mean ± std over seeds when there are several), the
figures each method's authors state beside them, and the Random and Human rows on the same test
videos. Every row says which rule chose its epoch and whether that rule looked at test labels, so
that a best-on-test figure is never read as a held-out estimate.

The published figures are only those stated where cited below; "not stated" otherwise. They come
from each method's own splits and protocol, which the table's note says.

VideoXum (one train/val/test split, its V2V protocol): the same table with VideoXum's own columns (F1
max and mean over annotators, tau and rho against the annotators' mean summary), a row per folder,
VideoXum's published rows with their source, and the Human row (no Random row: see v2v_comparison).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from config import EpochRule
from dataset.benchmark import Benchmark
from engine.evaluate.seed_spread import spread_over_seeds
from engine.evaluate.weights_evaluation import DatasetEvaluation
from evaluation.baselines import format_value, human_row_or_unavailable, random_baseline
from evaluation.knapsack_measures import DIGITS, DIRECTIONS, LABELS, MEASURES, KnapsackMeasures, mean_measures
from models.methods import METHODS, method_spec

NOT_KNOWN_RULE = "not known (no training record: released weights?)"


@dataclass(frozen=True)
class ComparisonRow:
    name: str
    kind: str  # "here" (evaluated here), "published" or "baseline"
    f1: float | None
    kendall: float | None
    spearman: float | None
    std: tuple[float, float, float] | None  # over seeds (ddof 1), with several seeds
    runs: int  # seeds averaged (0 for published and baseline rows)
    rule: str  # the epoch-selection rule's label
    looks_at_test_labels: bool | None  # None: not known, or no training
    note: str
    knapsack: KnapsackMeasures | None = field(default=None)  # SummDiff's measures (rows evaluated here; mean over seeds)


@dataclass(frozen=True)
class DatasetComparison:
    dataset: str
    synthetic: bool
    rows: tuple[ComparisonRow, ...]


def _rule(runs: Sequence[DatasetEvaluation]) -> tuple[str, bool | None]:
    return rule_of({split.selection_rule for run in runs for split in run.splits})


def rule_of(rules: set[EpochRule | None]) -> tuple[str, bool | None]:
    """The rules' labels as one cell, and whether any looked at test labels (None: some rule is not known)."""
    if None in rules:
        return NOT_KNOWN_RULE + (" / " + " / ".join(sorted(r.label for r in rules if r)) if len(rules) > 1 else ""), None
    return " / ".join(sorted(rule.label for rule in rules)), any(rule.looks_at_test_labels for rule in rules)


def _here_row(folder: Path, runs: Sequence[DatasetEvaluation]) -> ComparisonRow:
    models = list(dict.fromkeys(split.model.describe() for run in runs for split in run.splits if split.model))
    methods = list(dict.fromkeys(split.model.method for run in runs for split in run.splits if split.model))
    rule, looks = _rule(runs)
    wording = runs[0].mean_what
    if len(runs) > 1:
        spread = spread_over_seeds(runs[0].dataset, {run.seed: run.mean for run in runs})
        mean, std = spread.mean, (spread.std.f1, spread.std.kendall, spread.std.spearman)
        note = f"{folder}; {wording}, then mean ± std over seeds {', '.join(map(str, spread.seeds))}"
    else:
        mean, std, note = runs[0].mean, None, f"{folder}; {wording}"
    measures = [run.knapsack_mean for run in runs]
    knapsack = mean_measures(measures) if all(m is not None for m in measures) else None
    return ComparisonRow(f"{' + '.join(models)}, here", "here", mean.f1, mean.kendall, mean.spearman, std, len(runs), rule, looks,
                         note + ("" if len(methods) == 1 else "; SEVERAL METHODS in one folder"), knapsack)


def published_row(method: str, dataset: str) -> ComparisonRow:
    """The authors' own figures (or 'not stated') with their source, and the authors' own selection rule."""
    figures = method_spec(method).published_on(dataset)
    rule = METHODS[method].selection
    return ComparisonRow(f"{method}, as published", "published", figures.f1, figures.kendall, figures.spearman, None, 0,
                         rule.label, rule.looks_at_test_labels, figures.source)


def compare_dataset(benchmark: Benchmark, runs: Mapping[Path, Sequence[DatasetEvaluation]], random_draws: int) -> DatasetComparison:
    """The rows of one dataset: each folder's, then each method's published figures, then Random and Human.

    Args:
        runs: per weights folder, its evaluations (one per seed).
    """
    here = [_here_row(folder, folder_runs) for folder, folder_runs in runs.items()]
    methods = list(dict.fromkeys(split.model.method for folder_runs in runs.values() for run in folder_runs
                                 for split in run.splits if split.model))
    published = [published_row(method, benchmark.spec.name) for method in methods]
    keys = list(dict.fromkeys(video.key for folder_runs in runs.values() for run in folder_runs
                              for split in run.splits for video in split.videos))
    videos = benchmark.subset(tuple(keys))
    baselines = [random_baseline(videos, benchmark.spec, random_draws), human_row_or_unavailable(videos, benchmark.spec)]
    rows = [ComparisonRow(row.name, "baseline", row.f1, row.kendall, row.spearman, None, 0, "none (no training)", None,
                          f"{row.n_videos} test videos; {row.note}") for row in baselines]
    return DatasetComparison(benchmark.spec.name, benchmark.synthetic, tuple(here + published + rows))


def _cell(row: ComparisonRow, index: int, digits: int) -> str:
    value = (row.f1, row.kendall, row.spearman)[index]
    if value is None:
        return "not stated" if row.kind == "published" else "n/a"
    text = "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return text + (f" ± {row.std[index]:.{digits}f}" if row.std is not None else "")


def _knapsack_cell(row: ComparisonRow, name: str) -> str:
    if row.knapsack is None and row.kind == "published":
        return "not stated"
    return format_value(getattr(row.knapsack, name) if row.knapsack else None, DIGITS[name])


def test_labels_cell(looks: bool | None) -> str:
    return {True: "LOOKS AT TEST LABELS", False: "no test labels", None: "-"}[looks]


def comparison_table(comparison: DatasetComparison) -> str:
    """The dataset's rows as a Markdown table, its warnings above it."""
    title = f"## {comparison.dataset}" + ("  [SYNTHETIC data, not the real benchmark]" if comparison.synthetic else "")
    measured = any(row.knapsack is not None for row in comparison.rows)
    extra = [LABELS[name] for name in MEASURES] if measured else []
    header = ["row", "F1 (%)", "Kendall tau", "Spearman rho", *extra, "selection rule", "test labels", "note"]
    lines = [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in comparison.rows:
        knapsack = [_knapsack_cell(row, name) for name in MEASURES] if measured else []
        cells = [row.name, _cell(row, 0, 2), _cell(row, 1, 3), _cell(row, 2, 3), *knapsack, row.rule,
                 test_labels_cell(row.looks_at_test_labels), row.note]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Published figures come from each method's own splits and evaluation code; the rows evaluated here share one "
              "protocol (this project's F1, tau and rho on the same test videos)."]
    if measured:
        lines.append(f"{DIRECTIONS}; rows evaluated here only (mean over seeds).")
    return "\n".join(lines)


def comparison_json(comparisons: Sequence[Any], command: str) -> dict:
    """The tables as JSON, with the command that made them: DatasetComparison's, or a source's own table
    with the same dataset, synthetic and rows fields (sources/videoxum/comparison.V2VComparison)."""
    return {
        "format": "csta-comparison/1",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command,
        "datasets": {c.dataset: {"synthetic_data": c.synthetic, "rows": [asdict(row) for row in c.rows]} for c in comparisons},
    }

