"""What inference.py writes for Mr.HiSum and MoSu: the table it prints, --json, --report (report.json and
report.md, the Markdown rendered from the JSON) and --save-scores, each naming the protocol that produced
every number.

The table: each weights folder's row (mean ± std over seeds), then the published rows measured under the
same protocol (never one of the other protocol); TripleSumm's batch-of-64 averaging of the same per-video
numbers is given beside the mean over videos, to show how far it moves each number.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import h5py
import numpy as np
import torch

from engine.evaluate.saved_scores import FORMAT, VIDEO_LAYOUT, prediction_attributes
from engine.reports.tables import environment, environment_lines, file_entry, training_summary
from evaluation.replay_metrics import mrhisum_summary
from sources.replay import REPLAY_SPLIT, ReplaySource
from sources.replay.scoring import ReplayEvaluation, ReplayRun, across_seeds
from utils.files import atomic_output

_DIGITS = {"f1": 2, "map50": 2, "map15": 2, "tau": 3, "rho": 3}


def _cell(value: float | None, std: float | None, metric: str) -> str:
    if value is None:
        return "-"
    digits = _DIGITS.get(metric, 3)
    return f"{value:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")


def comparison_rows(evaluation: ReplayEvaluation, source: ReplaySource) -> list[dict]:
    """The table's rows as plain values (the JSON and the Markdown both read them)."""
    protocol = evaluation.protocol
    rows = []
    for folder, runs in evaluation.folders.items():
        spread = across_seeds(runs)
        models = " + ".join(dict.fromkeys(run.model.describe() for run in runs))
        notes = sorted({run.note for run in runs if run.note})
        rows.append({"name": f"{models}, here", "kind": "here", "values": spread["mean"], "std": spread["std"], "runs": len(runs),
                     "checkpoints": sorted({key for run in runs for key in run.checkpoints}),
                     "note": f"{folder}" + (f"; seeds {', '.join(map(str, spread['seeds']))}" if spread["std"] else "")
                     + ("; " + "; ".join(notes) if notes else "")})
    for row in source.published:
        if row.protocol == protocol.value:
            rows.append({"name": f"{row.method}, as published", "kind": "published", "values": dict(row.values), "std": None, "runs": 0,
                         "checkpoints": [], "note": row.source})
    return rows


def comparison_table(evaluation: ReplayEvaluation, source: ReplaySource, rows: list[dict] | None = None) -> str:
    """The rows as a Markdown table, what the columns mean below it."""
    protocol = evaluation.protocol
    rows = comparison_rows(evaluation, source) if rows is None else rows
    synthetic = "  [SYNTHETIC data, not the real benchmark: not comparable with the published rows]" if evaluation.synthetic else ""
    metrics = list(protocol.metrics)
    lines = [f"## {evaluation.name}, test split, {protocol.title}{synthetic}", "",
             f"| row | {' | '.join(metrics)} | checkpoints | note |", "|---|" + "---|" * (len(metrics) + 2)]
    for row in rows:
        cells = [_cell(row["values"].get(m), (row["std"] or {}).get(m), m) for m in metrics]
        lines.append(f"| {row['name']} | {' | '.join(cells)} | {', '.join(row['checkpoints']) or '-'} | {row['note']} |")
    lines += ["", f"{evaluation.n_videos} test videos; protocol: {protocol.value} ({protocol.title}). Mean over videos; "
              "each metric from the checkpoint chosen for it on validation (Mr.HiSum's protocol keeps one per metric). "
              "F1 and mAP in percent. Published rows are shown only under the protocol that produced them."]
    return "\n".join(lines)


def _run_payload(run: ReplayRun) -> dict:
    return {"seed": run.seed, "weights": file_entry(run.weights_path), "training": training_summary(run.record),
            "model": run.model.describe(), "checkpoints": {key: str(path) for key, path in run.checkpoints.items()},
            "test": run.test, "per_checkpoint": run.per_checkpoint, "batch_of_64_means": run.batch_of_64,
            "batch_of_64_minus_mean": {m: run.batch_of_64[m] - run.per_checkpoint[next(iter(run.per_checkpoint))][m] for m in run.batch_of_64},
            "note": run.note, "videos": run.videos}


def replay_payload(evaluation: ReplayEvaluation, source: ReplaySource, command: str, device: torch.device | None = None) -> dict:
    """--json (and, with ``device``, the report's JSON): every row, every run with its per-video numbers."""
    rows = comparison_rows(evaluation, source)
    payload = {
        "format": "csta-report/1" if device is not None else "csta-replay-evaluation/1",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command,
        "datasets": {evaluation.name: {
            "protocol": evaluation.protocol.value, "protocol_title": evaluation.protocol.title, "split": "test",
            "synthetic_data": evaluation.synthetic, "n_videos": evaluation.n_videos,
            "data_files": [str(path) for path in evaluation.files], "rows": rows,
            "folders": [{"folder": str(folder), "runs": [_run_payload(run) for run in runs],
                         "across_seeds": across_seeds(runs) if len(runs) > 1 else None} for folder, runs in evaluation.folders.items()],
            "averaging": "mean over videos; batch_of_64_means: TripleSumm's mean of per-batch means of the same per-video numbers",
        }},
    }
    if device is not None:
        payload["environment"] = environment(device)
    return payload


def report_markdown(payload: dict) -> str:
    """report.md from the payload: the table, the runs with their checkpoints, the environment."""
    lines = ["# CSTA reproduction report", "", f"Written {payload['created']} by `{payload['command']}`.", ""]
    for name, data in payload["datasets"].items():
        if data["synthetic_data"]:
            lines += ["**SYNTHETIC data, not the real benchmark**", ""]
        metrics = list(data["rows"][0]["values"]) if data["rows"] else []
        lines += [f"## {name}, test split, {data['protocol_title']}", "", f"| row | {' | '.join(metrics)} | checkpoints | note |",
                  "|---|" + "---|" * (len(metrics) + 2)]
        for row in data["rows"]:
            cells = [_cell(row["values"].get(m), (row["std"] or {}).get(m), m) for m in metrics]
            lines.append(f"| {row['name']} | {' | '.join(cells)} | {', '.join(row['checkpoints']) or '-'} | {row['note']} |")
        lines += ["", f"Protocol: {data['protocol']}; {data['n_videos']} test videos; {data['averaging']}.", "", "### Per run", "",
                  "| seed | checkpoint | " + " | ".join(metrics) + " | weights |", "|---|---|" + "---|" * (len(metrics) + 1)]
        for folder in data["folders"]:
            for run in folder["runs"]:
                for key, numbers in run["per_checkpoint"].items():
                    cells = [_cell(numbers.get(m), None, m) for m in metrics]
                    lines.append(f"| {run['seed'] if run['seed'] is not None else '-'} | {key} | {' | '.join(cells)} | `{run['checkpoints'][key]}` |")
                moved = ", ".join(f"{m} {v:+.4f}" for m, v in run["batch_of_64_minus_mean"].items())
                lines.append(f"| | TripleSumm's batch-of-64 averaging minus the mean over videos | {moved} | |")
        lines += ["", "### Data files", "", *(f"- `{path}`" for path in data["data_files"]), ""]
    return "\n".join(lines + environment_lines(payload["environment"])) + "\n"


def write_score_file(path: Path, evaluation: ReplayEvaluation, change_points: dict[str, np.ndarray], command: str) -> None:
    """Every test video's step scores (one per row, 1 fps) and Mr.HiSum's 15% knapsack summary over its shots, for one
    weights folder's runs (split1.pt's scores), in engine/evaluate/saved_scores.py's layout, atomically."""
    ((_, runs),) = evaluation.folders.items()
    several = len(runs) > 1
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as out:
        out.attrs["format"] = FORMAT
        out.attrs["command"] = command
        group = out.require_group(evaluation.name)
        group.attrs["layout"] = VIDEO_LAYOUT
        group.attrs["split_name"] = "test"
        group.attrs["protocol"] = evaluation.protocol.value
        group.attrs["frames"] = "one row a second: one step score and one summary value per row"
        group.attrs["summary_rule"] = "Mr.HiSum's: the 15% knapsack over the h5's change points (evaluation/replay_metrics.mrhisum_summary)"
        if evaluation.synthetic:
            group.attrs["synthetic"] = True
        for run in runs:
            parent = group.require_group(f"seed{run.seed}") if several else group
            attributes = prediction_attributes(REPLAY_SPLIT, run.weights_path, run.model, None, run.seed)
            for key, scores in run.scores.items():
                entry = parent.create_group(key)
                entry.create_dataset("step_scores", data=np.asarray(scores, dtype=np.float32))
                entry.create_dataset("machine_summary", data=np.asarray(mrhisum_summary(scores, change_points[key]), dtype=np.uint8))
                entry.attrs.update(attributes)
