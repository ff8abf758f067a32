"""Results for people and tools: the tables and JSON the scripts print and write, and the
reproduction report: our numbers beside the paper's and the baselines, with everything needed
to tell later which files, code versions and machine produced them (report.json and report.md).

The Markdown is rendered from the JSON payload, so the two can never disagree.
"""

from __future__ import annotations

import datetime
import math
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import torch

from dataset.benchmark import Benchmark
from engine.evaluate.seed_spread import SeedSpread
from engine.evaluate.weights_evaluation import DatasetEvaluation, SplitEvaluation
from engine.reports.plots import plot_video_scores
from engine.run_paths import REPORT_FILES, curve_path_for, video_plot_path
from engine.train.loop import SplitTraining
from evaluation.baselines import BaselineRow, format_value
from evaluation.degenerate import score_findings
from evaluation.knapsack_measures import DIGITS, DIRECTIONS, LABELS, MEASURES, KnapsackMeasures
from evaluation.summary import choose_shots, summary_budget
from models.methods import DEFAULT_METHOD, METHODS
from utils import atomic_output, write_json_atomic
from utils.files import sha256_of

# Reference section 7: the paper's rank correlations and MACs per score prediction; F1 is not stated there.
# CSTA's paper row (its MethodSpec's published figures)
PAPER_RESULTS = {name: {"f1": figures.f1, "kendall": figures.kendall, "spearman": figures.spearman}
                 for name, figures in METHODS[DEFAULT_METHOD].published.items()}
PAPER_SOURCE = METHODS[DEFAULT_METHOD].published_on("SumMe").source
PAPER_MACS = {"SumMe": 9.78e9, "TVSum": 15.73e9}


# Tables for people and JSON for tools: printed by the scripts, and the report is rendered from them.


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


def _knapsack_cells(measures: KnapsackMeasures | None, width: int = 9) -> str:
    """The knapsack measures' columns of a table row ('n/a' where they were not computed)."""
    return "".join(f"{format_value(getattr(measures, name) if measures else None, DIGITS[name]):>{width}}" for name in MEASURES)


def knapsack_entries(measures: KnapsackMeasures | None) -> dict:
    """The JSON of the knapsack measures beside the other metrics: {"knapsack": {"wse", "cis", "wir", "ir"}} or nothing."""
    return {"knapsack": measures.as_dict()} if measures else {}


def video_entries(split: SplitEvaluation) -> list[dict]:
    """One JSON row per test video: key, F1, tau, rho and (when computed) the knapsack measures."""
    knapsack = split.knapsack or [None] * len(split.videos)
    return [{**vars(video), **knapsack_entries(measures)} for video, measures in zip(split.videos, knapsack, strict=True)]


def evaluation_table(result: DatasetEvaluation) -> str:
    """Per-split and mean F1 / Kendall tau / Spearman rho, then SummDiff's knapsack measures (WSE, CIS, WIR, IR)."""
    lines = [
        f"{result.dataset}  ({result.data_file}){labels(result.synthetic, result.stand_in_backbone)}",
        f"  {'split':<8}{'F1 (%)':>9}{'tau':>9}{'rho':>9}" + "".join(f"{LABELS[name]:>9}" for name in MEASURES),
    ]
    for split in result.splits:
        m = split.metrics
        lines.append(f"  {split.split:<8}{_fmt(m.f1, 2):>9}{_fmt(m.kendall, 3):>9}{_fmt(m.spearman, 3):>9}"
                     + _knapsack_cells(split.knapsack_mean))
    mean = result.mean
    lines.append(f"  {'mean':<8}{_fmt(mean.f1, 2):>9}{_fmt(mean.kendall, 3):>9}{_fmt(mean.spearman, 3):>9}"
                 + _knapsack_cells(result.knapsack_mean))
    lines.append(f"  mean: {result.mean_wording}")
    lines.append(f"  {DIRECTIONS}")
    return "\n".join(lines)


def evaluation_json(results: list[DatasetEvaluation]) -> dict:
    """{dataset: {"splits": [{"split", "f1", "kendall", "spearman"}], "mean": {...}, "mean_over": "splits"|"videos", ...}}."""
    payload = {}
    for result in results:
        payload[result.dataset] = {
            "data_file": str(result.data_file),
            "synthetic_data": result.synthetic,
            "stand_in_backbone": result.stand_in_backbone,
            "splits": [
                {"split": s.split, "weights": str(s.weights_path), **s.metrics.as_dict(), **knapsack_entries(s.knapsack_mean),
                 "videos": video_entries(s)}
                for s in result.splits
            ],
            "mean": result.mean.as_dict(),
            **_mean_knapsack(result),
            "mean_over": result.mean_rule.value,  # "splits" (the papers') or "videos" (inference.py --mean)
            "mean_wording": result.mean_wording,
        }
    return payload


def _mean_knapsack(result: DatasetEvaluation) -> dict:
    """The final mean of the knapsack measures (same rule as "mean") and what they are; nothing where not computed."""
    mean = result.knapsack_mean
    return {"mean_knapsack": mean.as_dict(), "knapsack_measures": DIRECTIONS} if mean else {}


def training_table(results: list[SplitTraining], synthetic: dict[str, bool], stand_in: bool) -> str:
    """One row per trained split: the method, the kept epoch (and CA-SUM's sigma) and its test metrics; below,
    the rule that chose each epoch and whether it looked at the test labels, then a WARNING line for each
    sign of a useless model (SplitTraining.warnings)."""
    lines = [f"  {'method':<9}{'dataset':<8}{'split':>6}{'epoch':>7}{'sigma':>7}{'F1 (%)':>9}{'tau':>9}{'rho':>9}  weights"]
    for r in results:
        m = r.metrics
        method = r.plan.method if r.plan is not None else "CSTA"
        sigma = f"{r.length_factor:g}" if r.length_factor is not None else "-"
        lines.append(
            f"  {method:<9}{r.dataset:<8}{r.split:>6}{r.best_epoch:>7}{sigma:>7}{_fmt(m.f1, 2):>9}{_fmt(m.kendall, 3):>9}"
            f"{_fmt(m.spearman, 3):>9}  {r.weights_path}"
        )
    lines += [f"  epoch chosen by: {label}" for label in dict.fromkeys(r.rule_label for r in results)]
    lines += [f"  WARNING {r.dataset} split {r.split}: the kept model looks useless: {finding.message}"
              for r in results for finding in r.warnings]
    notes = labels(any(synthetic.values()), stand_in)
    return "\n".join(lines) + (f"\n{notes.strip()}" if notes else "")


@dataclass
class DatasetReport:
    """What one dataset contributes to the report."""

    benchmark: Benchmark
    runs: list[DatasetEvaluation]  # one per seed (one run when no --seeds)
    baselines: list[BaselineRow]
    spread: SeedSpread | None  # mean ± std over seeds, with several seeds
    complexity: dict | None = None  # parameters and MACs (engine.evaluate.complexity), when asked for


def file_entry(path: Path | None) -> dict | None:
    if path is None:
        return None
    path = Path(path)
    return {"path": str(path), "sha256": sha256_of(path), "bytes": path.stat().st_size}


def environment(device: torch.device) -> dict:
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    return {
        "device": str(device),
        "device_name": name,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
    }


def training_summary(record: dict | None) -> dict | None:
    """What the report says of how a weights file was trained (from its record; None without one)."""
    if record is None:
        return None
    config = record.get("train_config", {})
    return {key: value for key, value in {
        "seed": config.get("seed"), "epochs": config.get("epochs"), "backbone": record.get("backbone"),
        "best_epoch": record.get("best_epoch"), "device": record.get("device"), "torch": record.get("torch"),
    }.items() if value is not None}


def _run_payload(run: DatasetEvaluation) -> dict:
    return {
        "seed": run.seed,
        "models": list(dict.fromkeys(s.model.describe() for s in run.splits if s.model)) or ["CSTA (defaults)"],
        "splits": [
            {"split": s.split, "weights": file_entry(s.weights_path), "training": training_summary(s.record),
             "model": s.model.describe() if s.model else None,
             "selection_rule": s.selection_rule.label if s.selection_rule else "not known (no training record)",
             "curve": str(curve_path_for(s.weights_path)) if curve_path_for(s.weights_path).is_file() else None, **s.metrics.as_dict(),
             **knapsack_entries(s.knapsack_mean), "videos": video_entries(s)}
            for s in run.splits
        ],
        "mean": run.mean.as_dict(),
        **_mean_knapsack(run),
        "mean_over": run.mean_rule.value,
        "mean_wording": run.mean_wording,
        "mean_what": run.mean_what,
    }


def write_video_plots(out_dir: Path, benchmark: Benchmark, run: DatasetEvaluation) -> list[str]:
    """One PNG per test video: predicted vs ground-truth step scores, the chosen shots shaded, and in red the signs of a
    useless model: the video's own scores saturated or constant, and the findings its training record holds."""
    written = []
    tag = " (SYNTHETIC data)" if benchmark.synthetic else ""
    for split in run.splits:
        trained = [entry["message"] for entry in (split.record or {}).get("warnings", [])]  # what training found (engine/train/loop.py)
        for metrics in split.videos:
            video = benchmark.videos[metrics.key]
            scores = split.scores[metrics.key]
            chosen = choose_shots(scores, video.change_points, video.n_frames, video.picks, summary_budget(video.change_points)).chosen
            title = (f"{benchmark.spec.name} {video.key}, split {split.split}{tag}: "
                     f"F1 {metrics.f1:.1f}, tau {metrics.kendall:.3f}, rho {metrics.spearman:.3f}")
            path = plot_video_scores(video_plot_path(out_dir, benchmark.spec.name, run.seed, split.split, video.key), title,
                                     video.picks, scores, video.gtscore, video.change_points, chosen,
                                     trained + [finding.message for finding in score_findings([scores], "predicted")])
            written.append(str(path.relative_to(out_dir)))
    return written


def build_report(reports: list[DatasetReport], device: torch.device, command: str, plots: dict[str, list[str]]) -> dict:
    """The JSON payload of the report."""
    datasets = {}
    for report in reports:
        benchmark = report.benchmark
        name = benchmark.spec.name
        datasets[name] = {
            "synthetic_data": benchmark.synthetic,
            "stand_in_backbone": any(run.stand_in_backbone for run in report.runs),
            "data_file": file_entry(benchmark.h5_path),
            "annotation_file": file_entry(benchmark.annotation_path),
            "paper": {**PAPER_RESULTS[name], "mean_macs": PAPER_MACS[name], "source": PAPER_SOURCE},
            "complexity": report.complexity,
            "runs": [_run_payload(run) for run in report.runs],
            "across_seeds": report.spread.as_dict() if report.spread else None,
            "baselines": [row.as_dict() for row in report.baselines],
            "plots": plots.get(name, []),
        }
    return {
        "format": "csta-report/1",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command,
        "environment": environment(device),
        "datasets": datasets,
    }


def _row(name: str, f1: float | None, tau: float | None, rho: float | None, note: str) -> str:
    f1_text = "not stated" if f1 is None and name.startswith("CSTA (paper)") else format_value(f1, 2)
    return f"| {name} | {f1_text} | {format_value(tau, 3)} | {format_value(rho, 3)} | {note} |"


def _dataset_markdown(name: str, data: dict) -> list[str]:
    warning = labels(data["synthetic_data"], data["stand_in_backbone"]).strip()
    lines = [f"## {name}", ""]
    if warning:
        lines += [f"**{warning.strip('[]')}**", ""]
    paper = data["paper"]
    lines += ["| | F1 (%) | Kendall tau | Spearman rho | note |", "|---|---|---|---|---|",
              _row("CSTA (paper)", None, paper["kendall"], paper["spearman"], paper["source"])]
    for run in data["runs"]:
        seed = f", seed {run['seed']}" if run["seed"] is not None else ""
        mean = run["mean"]
        lines.append(_row(f"{' + '.join(run['models'])} (this run{seed})", mean["f1"], mean["kendall"], mean["spearman"],
                          run["mean_what"] + "; epochs chosen by: "
                          + " / ".join(dict.fromkeys(split["selection_rule"] for split in run["splits"]))))
    spread = data["across_seeds"]
    if spread:
        m, s = spread["mean"], spread["std"]
        lines.append(f"| {' + '.join(data['runs'][0]['models'])} (this run, {len(spread['seeds'])} seeds) | {m['f1']:.2f} ± {s['f1']:.2f} | "
                     f"{m['kendall']:.3f} ± {s['kendall']:.3f} | {m['spearman']:.3f} ± {s['spearman']:.3f} | "
                     f"mean ± {spread['std_convention']} |")
    for row in data["baselines"]:
        lines.append(_row(row["name"], row["f1"], row["kendall"], row["spearman"], f"{row['n_videos']} test videos; {row['note']}"))
    lines += ["", "### Per split", "", "| seed | split | F1 (%) | tau | rho | kept epoch | trained with | weights | sha256 |",
              "|---|---|---|---|---|---|---|---|---|"]
    for run in data["runs"]:
        for split in run["splits"]:
            training = split["training"] or {}
            seed = run["seed"] if run["seed"] is not None else training.get("seed", "n/a")
            trained = (f"{training.get('epochs')} epochs, {training.get('backbone')}" if training else "no training record (released weights?)")
            lines.append(f"| {seed} | {split['split']} | {format_value(split['f1'], 2)} | {format_value(split['kendall'], 3)} | "
                         f"{format_value(split['spearman'], 3)} | {training.get('best_epoch', 'n/a')} | {trained} | "
                         f"`{split['weights']['path']}` | `{split['weights']['sha256'][:16]}` |")
    lines += _knapsack_markdown(data["runs"])
    lines += ["", "### Data files", "", "| file | sha256 | bytes |", "|---|---|---|"]
    for entry in (data["data_file"], data["annotation_file"]):
        if entry:
            lines.append(f"| `{entry['path']}` | `{entry['sha256']}` | {entry['bytes']} |")
    computation = data["complexity"]
    if computation and computation.get("method", DEFAULT_METHOD) != DEFAULT_METHOD:
        lines += ["", "### Computation", "", _computation_of_another_method(computation)]
    elif computation:
        params, macs = computation["parameters"], computation["macs"]
        lines += ["", "### Computation", "",
                  f"Trainable parameters: {params['trainable']:,} (all); {params['trainable_without_unused_fc']:,} without GoogLeNet's "
                  f"unused fc = {params['trainable_without_unused_fc_over_1024x1024']:.2f} M in the reference's convention (/ 1024^2). "
                  f"MACs per score prediction, mean over {macs['n_videos']} test videos: {macs['mean_macs'] / 1e9:.2f} G "
                  f"({macs['mean_macs'] / 2**30:.2f} x 1024^3; the paper: {data['paper']['mean_macs'] / 1e9:.2f} G over the whole dataset), "
                  f"counted with FlopCounterMode (MACs = FLOPs / 2 of matrix products and convolutions)."]
    if data["plots"]:
        lines += ["", f"Per-video plots (predicted vs gtscore, summary shots shaded): {len(data['plots'])} files under "
                  f"`plots/{name}/`, e.g. `{data['plots'][0]}`."]
    return lines + [""]


def _computation_of_another_method(computation: dict) -> str:
    """The Computation paragraph for a method other than the paper row's (CSTA): its own figures, no paper beside them."""
    params, macs = computation["parameters"], computation["macs"]
    text = (f"{computation.get('model', computation['method'])}: trainable parameters {params['trainable']:,}. "
            f"MACs per score prediction, mean over {macs['n_videos']} test videos: {macs['mean_macs'] / 1e9:.3f} G")
    sampling = macs.get("sampling")
    if sampling:
        text += (f" = the condition encoder {sampling['mean_encoder_macs'] / 1e9:.3f} G + {sampling['samples']} sample(s) x "
                 f"{sampling['sampling_steps']} sampling step(s) x {sampling['mean_macs_per_step'] / 1e9:.3f} G per step "
                 f"({sampling['denoiser_calls_per_step']} denoiser call(s) per step)")
    return text + ", counted with FlopCounterMode (MACs = FLOPs / 2 of matrix products and convolutions)."


def _knapsack_markdown(runs: list[dict]) -> list[str]:
    """Per test video F1, tau, rho and the knapsack measures, and each run's mean row (from the run payloads)."""
    if not any("mean_knapsack" in run for run in runs):
        return []

    def cells(metrics: dict, knapsack: dict | None) -> str:
        ranks = f"{format_value(metrics['f1'], 2)} | {format_value(metrics['kendall'], 3)} | {format_value(metrics['spearman'], 3)}"
        return " | ".join([ranks, *(format_value(knapsack[name] if knapsack else None, DIGITS[name]) for name in MEASURES)])

    lines = ["", "### Per video, with the knapsack-aware measures", "", f"{DIRECTIONS}.", "",
             "| seed | split | video | F1 (%) | tau | rho | " + " | ".join(LABELS[name] for name in MEASURES) + " |",
             "|---|---|---|---|---|---|" + "---|" * len(MEASURES)]
    for run in runs:
        seed = run["seed"] if run["seed"] is not None else "-"
        lines += [f"| {seed} | {split['split']} | {video['key']} | {cells(video, video.get('knapsack'))} |"
                  for split in run["splits"] for video in split["videos"]]
        lines.append(f"| {seed} | mean | {run['mean_what']} | {cells(run['mean'], run.get('mean_knapsack'))} |")
    return lines


def report_markdown(payload: dict) -> str:
    env = payload["environment"]
    lines = ["# CSTA reproduction report", "", f"Written {payload['created']} by `{payload['command']}`.", "",
             "F1 and the paper's protocol: reference section 5; the baselines are computed on the same test videos "
             "with the same protocol (Random: uniform scores; Human: annotators against each other).", ""]
    for name, data in payload["datasets"].items():
        lines += _dataset_markdown(name, data)
    return "\n".join(lines + environment_lines(env)) + "\n"


def environment_lines(env: dict) -> list[str]:
    """The report's closing Environment section (Markdown lines)."""
    return ["## Environment", "", "| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in env.items())]


def write_report(out_dir: Path, payload: dict, render: Callable[[dict], str] = report_markdown) -> tuple[Path, Path]:
    """report.json and report.md (``render(payload)``) in ``out_dir``, each written atomically."""
    out_dir = Path(out_dir)
    json_path, md_path = (out_dir / name for name in REPORT_FILES)
    write_json_atomic(json_path, payload)
    with atomic_output(md_path) as tmp:
        tmp.write_text(render(payload))
    return json_path, md_path

