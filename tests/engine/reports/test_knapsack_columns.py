"""SummDiff's knapsack measures as named extra columns of inference.py's table, --json and --report, for any method's
weights: each per-video figure is the measure of the saved scores, each split's the mean of its videos', the final one
the mean over splits."""

import json
import logging

import h5py
import numpy as np
import pytest

import inference
from config import DATASETS
from dataset import read_eccv16
from evaluation.knapsack_measures import MEASURES, KnapsackMeasures, mean_measures, video_knapsack_measures
from models.backbone import BackboneInit
from models.checkpoint import save_checkpoint
from models.csta import build_csta


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, tiny_data_dir, tiny_splits):
    folder = tmp_path_factory.mktemp("knapsack_columns")
    state = build_csta(BackboneInit.RANDOM).state_dict()
    for split in (1, 2):
        save_checkpoint(state, folder / "weights" / "TVSum" / f"split{split}.pt")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    root, level = logging.getLogger(), logging.getLogger().level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # the tables are logged at INFO
    try:
        code = inference.main(inference.parse_args([
            "--dataset", "TVSum", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--weights-dir", str(folder / "weights"),
            "--splits-file", str(tiny_splits["TVSum"]), "--random-draws", "1", "--json", str(folder / "table.json"),
            "--report", str(folder / "rep"), "--save-scores", str(folder / "scores.h5")]))
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert code == 0
    return folder, "\n".join(record.getMessage() for record in records)


def _approx(measures: KnapsackMeasures):
    return pytest.approx(measures.as_dict(), nan_ok=True)


def test_per_video_split_and_mean_figures(evaluated, tiny_data_dir):
    folder, _ = evaluated
    table = json.loads((folder / "table.json").read_text())["TVSum"]
    videos, _ = read_eccv16(DATASETS["TVSum"].h5_path(tiny_data_dir))
    with h5py.File(folder / "scores.h5") as saved:
        scores = {key: saved["TVSum"][key]["step_scores"][()] for key in saved["TVSum"]}
    split_means = []
    for split in table["splits"]:
        rows = []
        for video in split["videos"]:
            assert list(video["knapsack"]) == list(MEASURES) and {"f1", "kendall", "spearman"} <= set(video)
            expected = video_knapsack_measures(scores[video["key"]], videos[video["key"]])
            assert video["knapsack"] == _approx(expected)
            rows.append(expected)
        assert split["knapsack"] == _approx(mean_measures(rows))
        split_means.append(mean_measures(rows))
    assert table["mean_knapsack"] == _approx(mean_measures(split_means))
    assert "WSE and CIS lower is better" in table["knapsack_measures"]
    report = json.loads((folder / "rep" / "report.json").read_text())["datasets"]["TVSum"]["runs"][0]
    assert report["mean_knapsack"] == table["mean_knapsack"]
    assert [v["knapsack"] for s in report["splits"] for v in s["videos"]] == [v["knapsack"] for s in table["splits"] for v in s["videos"]]


def test_table_and_markdown_name_the_columns(evaluated):
    folder, printed = evaluated
    header = next(line for line in printed.splitlines() if line.strip().startswith("split"))
    assert header.split() == ["split", "F1", "(%)", "tau", "rho", "WSE", "CIS", "WIR", "IR"]
    mean_row = next(line for line in printed.splitlines() if line.strip().startswith("mean ") and "mean:" not in line)
    assert len(mean_row.split()) == 8 and not any(cell == "n/a" for cell in mean_row.split())
    markdown = (folder / "rep" / "report.md").read_text()
    assert "| seed | split | video | F1 (%) | tau | rho | WSE | CIS | WIR | IR |" in markdown
    table = json.loads((folder / "table.json").read_text())["TVSum"]
    rows = [line for line in markdown.splitlines() if line.startswith("| - | ") and "| video_" in line]
    assert len(rows) == sum(len(s["videos"]) for s in table["splits"])
    assert np.isfinite([float(cell) for cell in rows[0].strip("|").split("|")[6:10]]).all()
