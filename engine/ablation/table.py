"""The ablation table: one row per variant, F1 / tau / rho per dataset (mean ± std over seeds),
parameters and mean MACs per score prediction; as Markdown, as JSON and as a bar chart.

A data set scored under its own named protocol (``DatasetCell.protocol``: Mr.HiSum, MoSu) has that protocol's
metrics as its columns instead, and the table names the protocol."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

import torch

from engine.ablation.grid import table_paths
from engine.ablation.grid_runs import DatasetCell, VariantResult
from engine.reports.plots import plot_ablation
from engine.reports.tables import labels
from utils import atomic_output, write_json_atomic

METRIC_LABELS = {"f1": "F1", "map50": "mAP@50", "map15": "mAP@15", "tau": "tau", "rho": "rho"}  # a protocol's metric names
CORRELATIONS = ("tau", "rho")  # shown with 3 digits and plotted on their own axis; the others are percentages


def _datasets(results: Sequence[VariantResult]) -> list[str]:
    return list(dict.fromkeys(name for result in results for name in result.datasets))


def _first_cells(results: Sequence[VariantResult]) -> dict[str, DatasetCell]:
    """Each dataset's first cell: what kind of numbers its columns hold."""
    return {name: next(r.datasets[name] for r in results if name in r.datasets) for name in _datasets(results)}


def _protocol_note(name: str, cell: DatasetCell) -> str:
    spread = cell.protocol
    kept = "; ".join(f"{METRIC_LABELS.get(m, m)}: checkpoint {key}" for m, key in spread.checkpoints.items())
    return (f"**{name} under the {spread.title}** (`--protocol {spread.protocol}`): its own split, the epochs kept by the protocol's "
            f"rule on the validation split, each metric the test split's mean over videos from the checkpoint the protocol keeps "
            f"for it ({kept}); F1 and mAP in %; MACs over the test videos' lengths.")


def ablation_title(results: Sequence[VariantResult]) -> str:
    """'CSTA ablation', 'SummDiff ablation', or the methods of a mixed grid joined."""
    return " / ".join(dict.fromkeys(r.variant.method for r in results)) + " ablation"


def ablation_markdown(results: Sequence[VariantResult], stand_in: bool, title: str | None = None) -> str:
    """A Markdown table (default title: ablation_title); the synthetic-data and stand-in labels on top when they apply."""
    title = title or ablation_title(results)
    names = _datasets(results)
    synthetic = any(cell.synthetic for r in results for cell in r.datasets.values())
    runs = {len(cell.seeds) for r in results for cell in r.datasets.values()}
    lines = [f"# {title}", ""]
    note = labels(synthetic, stand_in).strip()
    if note:
        lines += [f"**{note.strip('[]')}**", ""]
    spread = "mean ± std over seeds" if max(runs) > 1 else "one seed"
    firsts = _first_cells(results)
    if all(cell.protocol is not None for cell in firsts.values()):
        lines += [f"Each number: {spread}. MACs: mean per score prediction.", ""]
    else:
        lines += [f"F1 in %, Kendall tau and Spearman rho: mean over splits, {spread}. MACs: mean per score prediction "
                  "over the dataset's videos.", ""]
    lines += [line for name, cell in firsts.items() if cell.protocol is not None for line in (_protocol_note(name, cell), "")]
    v2v = {name for r in results for name, cell in r.datasets.items() if cell.v2v is not None}
    if v2v:
        lines += [f"{', '.join(sorted(v2v))}: its own split, the epoch chosen on validation, the test split under the V2V protocol "
                  "(F1 max and mean over annotators; tau and rho against the annotators' mean summary); MACs over the test "
                  "videos' lengths.", ""]
    columns = {name: _metrics(cell) for name, cell in firsts.items()}
    header = ["variant", "group"] + [f"{name} {metric}" for name in names for metric in columns[name]] + ["params (M)"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        cells = [result.variant.name, result.variant.group]
        for name in names:
            cell = result.datasets.get(name)
            if cell is None:
                cells += [""] * len(columns[name])
                continue
            several = len(cell.seeds) > 1
            if cell.protocol is not None:
                mean, std = cell.protocol.mean, cell.protocol.std
                cells += [_cell(mean[m], std[m], 3 if m in CORRELATIONS else 2, several) for m in cell.protocol.metrics]
                cells.append(f"{cell.mean_macs / 1e9:.2f}")
                continue
            mean, std = cell.spread.mean, cell.spread.std
            if cell.v2v is not None:
                cells += [_cell(cell.v2v.mean.f1_max, cell.v2v.std.f1_max if cell.v2v.std else 0.0, 2, several)]
            cells += [_cell(mean.f1, std.f1, 2, several), _cell(mean.kendall, std.kendall, 3, several),
                      _cell(mean.spearman, std.spearman, 3, several), f"{cell.mean_macs / 1e9:.2f}"]
        cells.append(f"{result.parameters.trainable / 1e6:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _metrics(cell: DatasetCell) -> tuple[str, ...]:
    """A dataset's columns: VideoXum's V2V has F1 max and F1 mean where the others have one F1; a data set under its own
    protocol has that protocol's metrics."""
    if cell.protocol is not None:
        return (*(METRIC_LABELS.get(m, m) for m in cell.protocol.metrics), "GMACs")
    return ("F1 max", "F1 mean", "tau", "rho", "GMACs") if cell.v2v is not None else ("F1", "tau", "rho", "GMACs")


def _cell(mean: float, std: float, digits: int, several: bool) -> str:
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if several else f"{mean:.{digits}f}"


def ablation_json(results: Sequence[VariantResult], stand_in: bool, command: str) -> dict:
    return {
        "command": command,
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "stand_in_backbone": stand_in,
        "variants": [
            {
                "name": r.variant.name,
                "method": r.variant.method,
                "folder": r.variant.slug,
                "group": r.variant.group,
                "options": r.variant.options,
                "model_config": r.variant.config.to_options(),
                "parameters": r.parameters.as_dict(),
                "runs_trained": r.trained,
                "runs_skipped": r.skipped,
                "datasets": {name: {**(cell.spread.as_dict() if cell.spread is not None else cell.protocol.as_dict()),
                                    "mean_macs": cell.mean_macs, "synthetic_data": cell.synthetic,
                                    **({"v2v": cell.v2v.as_dict()} if cell.v2v is not None else {})}
                             for name, cell in r.datasets.items()},
            }
            for r in results
        ],
    }


def write_ablation_table(out_dir: Path, results: Sequence[VariantResult], stand_in: bool, command: str) -> list[Path]:
    """ablation.md, ablation.json and ablation.png in ``out_dir``, each written atomically."""
    md_path, json_path, png_path = table_paths(out_dir)
    with atomic_output(md_path) as tmp:
        tmp.write_text(ablation_markdown(results, stand_in), encoding="utf-8")
    write_json_atomic(json_path, ablation_json(results, stand_in, command))
    synthetic = any(cell.synthetic for r in results for cell in r.datasets.values())
    bars, series = _bars(results)
    plot_ablation(png_path, ablation_title(results) + labels(synthetic, stand_in), bars, series)
    return [md_path, json_path, png_path]


def _bars(results: Sequence[VariantResult]) -> tuple[dict[str, list[tuple]], dict[str, tuple[str, tuple[str, ...]]]]:
    """The chart's panels: tau and rho per dataset; a data set under its own protocol has one panel for its correlations
    and one for its percentages (F1, mAP), named by the protocol."""
    bars, series = {}, {}
    for name, first in _first_cells(results).items():
        cells = [(r.variant.name, r.datasets[name]) for r in results if name in r.datasets]
        if first.protocol is None:
            bars[name] = [(variant, c.spread.mean.kendall, c.spread.std.kendall, c.spread.mean.spearman, c.spread.std.spearman)
                          for variant, c in cells]
            continue
        metrics = first.protocol.metrics
        for unit, chosen in (("correlation", [m for m in metrics if m in CORRELATIONS]), ("%", [m for m in metrics if m not in CORRELATIONS])):
            if chosen:
                panel = f"{name} ({first.protocol.protocol})\n{unit}"
                bars[panel] = [(variant, *(v for m in chosen for v in (c.protocol.mean[m], c.protocol.std[m]))) for variant, c in cells]
                series[panel] = (panel, tuple(METRIC_LABELS.get(m, m) for m in chosen))
    return bars, series
