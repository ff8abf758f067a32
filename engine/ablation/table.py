"""The ablation table: one row per variant, F1 / tau / rho per dataset (mean ± std over seeds),
parameters and mean MACs per score prediction; as Markdown, as JSON and as a bar chart."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

import torch

from engine.ablation.grid import table_paths
from engine.ablation.grid_runs import VariantResult
from engine.reports.plots import plot_ablation
from engine.reports.tables import labels
from utils import atomic_output, write_json_atomic


def _datasets(results: Sequence[VariantResult]) -> list[str]:
    return list(dict.fromkeys(name for result in results for name in result.datasets))


def ablation_markdown(results: Sequence[VariantResult], stand_in: bool, title: str = "CSTA ablation") -> str:
    """A Markdown table; the synthetic-data and stand-in labels on top when they apply."""
    names = _datasets(results)
    synthetic = any(cell.synthetic for r in results for cell in r.datasets.values())
    runs = {len(cell.spread.seeds) for r in results for cell in r.datasets.values()}
    lines = [f"# {title}", ""]
    note = labels(synthetic, stand_in).strip()
    if note:
        lines += [f"**{note.strip('[]')}**", ""]
    spread = "mean ± std over seeds" if max(runs) > 1 else "one seed"
    lines += [f"F1 in %, Kendall tau and Spearman rho: mean over splits, {spread}. MACs: mean per score prediction "
              "over the dataset's videos.", ""]
    v2v = {name for r in results for name, cell in r.datasets.items() if cell.v2v is not None}
    if v2v:
        lines += [f"{', '.join(sorted(v2v))}: its own split, the epoch chosen on validation, the test split under the V2V protocol "
                  "(F1 max and mean over annotators; tau and rho against the annotators' mean summary); MACs over the test "
                  "videos' lengths.", ""]
    header = ["variant", "group"] + [f"{name} {metric}" for name in names for metric in _metrics(name in v2v)] + ["params (M)"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        cells = [result.variant.name, result.variant.group]
        for name in names:
            cell = result.datasets.get(name)
            if cell is None:
                cells += [""] * len(_metrics(name in v2v))
                continue
            mean, std = cell.spread.mean, cell.spread.std
            several = len(cell.spread.seeds) > 1
            if cell.v2v is not None:
                cells += [_cell(cell.v2v.mean.f1_max, cell.v2v.std.f1_max if cell.v2v.std else 0.0, 2, several)]
            cells += [_cell(mean.f1, std.f1, 2, several), _cell(mean.kendall, std.kendall, 3, several),
                      _cell(mean.spearman, std.spearman, 3, several), f"{cell.mean_macs / 1e9:.2f}"]
        cells.append(f"{result.parameters.trainable / 1e6:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _metrics(v2v: bool) -> tuple[str, ...]:
    """A dataset's columns: VideoXum's V2V has F1 max and F1 mean where the others have one F1."""
    return ("F1 max", "F1 mean", "tau", "rho", "GMACs") if v2v else ("F1", "tau", "rho", "GMACs")


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
                "folder": r.variant.slug,
                "group": r.variant.group,
                "options": r.variant.options,
                "model_config": r.variant.config.to_options(),
                "parameters": r.parameters.as_dict(),
                "runs_trained": r.trained,
                "runs_skipped": r.skipped,
                "datasets": {name: {**cell.spread.as_dict(), "mean_macs": cell.mean_macs, "synthetic_data": cell.synthetic,
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
    names = _datasets(results)
    synthetic = any(cell.synthetic for r in results for cell in r.datasets.values())
    bars = {name: [(r.variant.name, r.datasets[name].spread.mean.kendall, r.datasets[name].spread.std.kendall,
                    r.datasets[name].spread.mean.spearman, r.datasets[name].spread.std.spearman)
                   for r in results if name in r.datasets] for name in names}
    plot_ablation(png_path, "CSTA ablation" + labels(synthetic, stand_in), bars)
    return [md_path, json_path, png_path]
