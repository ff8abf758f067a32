"""inference.py --dataset VideoXum --report DIR: the reproduction report for VideoXum, report.json and
report.md as for SumMe and TVSum (engine.reports.tables), with VideoXum's V2V table in place of theirs.

What it holds: the table inference.py prints (sources.videoxum.comparison.v2v_comparison: the row of the weights
folder, mean ± std over seeds with several, VideoXum's published rows with their source and the
Human row, each with the rule that chose its epoch), then every run's weights with their checksum
and training, the annotation file's checksum and the environment. Per-video plots are not drawn: a
VideoXum test split has 4,000 videos; --save-scores keeps every video's scores instead.
The Markdown is rendered from the JSON payload, so the two can never disagree.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict

import torch

from engine.evaluate.method_comparison import comparison_json
from engine.reports.tables import environment, environment_lines, file_entry, training_summary
from evaluation.baselines import format_value
from sources.videoxum import VIDEOXUM
from sources.videoxum.comparison import V2VComparison, V2VRow, v2v_comparison_table
from sources.videoxum.evaluation import VideoXumEvaluation, VideoXumRun

PROTOCOL = "VideoXum V2V"
PLOTS_NOTE = "no per-video plots for VideoXum (thousands of test videos); inference.py --save-scores keeps every video's scores"


def _run_payload(run: VideoXumRun) -> dict:
    return {
        "seed": run.seed,
        "weights": file_entry(run.weights_path),
        "training": training_summary(run.record),
        "model": run.model.describe(),
        "features": (run.record or {}).get("features"),
        "selection_rule": run.rule.label if run.rule else "not known (no training record)",
        "test": run.means.as_dict(),
        "videos": [asdict(video) for video in run.videos],
    }


def videoxum_json(evaluation: VideoXumEvaluation, comparison: V2VComparison, command: str) -> dict:
    """--json: the table's rows (engine.evaluate.method_comparison.comparison_json), and per weights folder every run with its per-video numbers."""
    payload = comparison_json([comparison], command)
    payload["datasets"][VIDEOXUM].update({
        "protocol": PROTOCOL, "split": "test", "features": evaluation.features, "human": evaluation.human.as_dict(),
        "folders": [{"folder": str(folder.folder), "runs": [_run_payload(run) for run in folder.runs],
                     "across_seeds": folder.spread.as_dict() if len(folder.runs) > 1 else None} for folder in evaluation.folders],
    })
    return payload


def videoxum_report(evaluation: VideoXumEvaluation, comparison: V2VComparison, device: torch.device, command: str) -> dict:
    """The JSON payload: one weights folder's runs (one per seed) on the test split, with the table's rows."""
    (folder,) = evaluation.folders
    return {
        "format": "csta-report/1",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command,
        "environment": environment(device),
        "datasets": {VIDEOXUM: {
            "protocol": PROTOCOL,
            "split": "test",
            "synthetic_data": evaluation.synthetic,
            "features": evaluation.features,
            "n_videos": comparison.n_videos,
            "annotation_file": file_entry(evaluation.annotation_file),
            "rows": [asdict(row) for row in comparison.rows],
            "runs": [_run_payload(run) for run in folder.runs],
            "across_seeds": folder.spread.as_dict() if len(folder.runs) > 1 else None,
            "human": evaluation.human.as_dict(),
            "plots": [],
            "plots_note": PLOTS_NOTE,
        }},
    }


def videoxum_report_markdown(payload: dict) -> str:
    """report.md from the payload: the table, the runs, the data file, the environment."""
    data = payload["datasets"][VIDEOXUM]
    comparison = V2VComparison(VIDEOXUM, data["synthetic_data"], data["features"], data["n_videos"],
                               tuple(V2VRow(**row) for row in data["rows"]))
    lines = ["# CSTA reproduction report", "", f"Written {payload['created']} by `{payload['command']}`.", "",
             "VideoXum's test split under its V2V protocol (evaluation/v2v.py); the Human row is computed on the same test "
             "videos from the annotations.", ""]
    if data["synthetic_data"]:
        lines += ["**SYNTHETIC data, not the real benchmark**", ""]
    lines += [v2v_comparison_table(comparison), "", "### Per run", "",
              "| seed | F1 max | F1 mean | tau | rho | kept epoch | selection rule | trained with | weights | sha256 |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for run in data["runs"]:
        training, test = run["training"] or {}, run["test"]
        seed = run["seed"] if run["seed"] is not None else training.get("seed", "n/a")
        trained = (f"{training.get('epochs')} epochs, {run['model']}, '{run['features']}' features" if training
                   else "no training record (released weights?)")
        lines.append(f"| {seed} | {format_value(test['f1_max'], 2)} | {format_value(test['f1_mean'], 2)} | {format_value(test['kendall'], 3)} | "
                     f"{format_value(test['spearman'], 3)} | {training.get('best_epoch', 'n/a')} | {run['selection_rule']} | {trained} | "
                     f"`{run['weights']['path']}` | `{run['weights']['sha256'][:16]}` |")
    entry = data["annotation_file"]
    lines += ["", "### Data files", "", "| file | sha256 | bytes |", "|---|---|---|", f"| `{entry['path']}` | `{entry['sha256']}` | {entry['bytes']} |",
              "", f"Plots: {data['plots_note']}.", ""]
    return "\n".join(lines + environment_lines(payload["environment"])) + "\n"
