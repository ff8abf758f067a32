"""The VideoXum report (sources/videoxum/report.py) and --json payload, from made-up runs: the Markdown
is rendered from the JSON, the runs carry checksums and rules, the Human and published rows are there."""

import json

import torch

from config import PGLSumConfig
from evaluation.v2v import PUBLISHED_V2V, V2VMeans, V2VVideoMetrics
from models.method_choice import ModelChoice
from models.methods import EpochRule
from sources.videoxum.comparison import v2v_comparison
from sources.videoxum.evaluation import VideoXumEvaluation, VideoXumFolder, VideoXumRun
from sources.videoxum.report import PLOTS_NOTE, videoxum_json, videoxum_report, videoxum_report_markdown

NAMES = [name for name in V2VMeans.__dataclass_fields__ if name != "n_videos"]


def _evaluation(tmp_path, seeds, synthetic=True) -> VideoXumEvaluation:
    runs = []
    for seed in seeds:
        weights = tmp_path / "w" / "VideoXum" / (f"seed{seed}" if seed is not None else "") / "split1.pt"
        weights.parent.mkdir(parents=True, exist_ok=True)
        weights.write_bytes(b"weights %d" % (seed or 0))
        value = 0.1 * (seed or 1)
        record = {"train_config": {"seed": seed, "epochs": 3}, "best_epoch": 2, "features": "tiny"}
        runs.append(VideoXumRun(seed, weights, record, ModelChoice("PGL-SUM", PGLSumConfig(feature_dim=32, hidden_dim=32)),
                                EpochRule.BEST_ON_VALIDATION, V2VMeans(1, **dict.fromkeys(NAMES, value)),
                                [V2VVideoMetrics("v_a", *[value] * len(NAMES))], {}))
    annotations = tmp_path / "anno" / "test_videoxum.json"
    annotations.parent.mkdir(exist_ok=True)
    annotations.write_text("[]")
    return VideoXumEvaluation([VideoXumFolder(tmp_path / "w", runs)], V2VMeans(1, **dict.fromkeys(NAMES, 0.5)), synthetic, "tiny", annotations)


def test_the_markdown_is_rendered_from_the_payload(tmp_path):
    evaluation = _evaluation(tmp_path, [1, 2])
    payload = videoxum_report(evaluation, v2v_comparison(evaluation), torch.device("cpu"), "python inference.py --report r")
    payload = json.loads(json.dumps(payload))  # as report.json holds it
    data = payload["datasets"]["VideoXum"]
    assert abs(data["across_seeds"]["mean"]["kendall"] - 0.15) < 1e-12 and data["plots"] == [] and data["plots_note"] == PLOTS_NOTE
    markdown = videoxum_report_markdown(payload)
    assert "| PGL-SUM (feature_dim=32, hidden_dim=32), here | 0.15 ± 0.07 | 0.15 ± 0.07 | - | 0.150 ± 0.071 |" in markdown
    assert "**SYNTHETIC data, not the real benchmark**" in markdown and "| Human | 0.50 | 0.50 |" in markdown
    assert all(f"| {p.method}, as published |" in markdown for p in PUBLISHED_V2V)
    for run in data["runs"]:
        assert run["weights"]["sha256"][:16] in markdown and run["selection_rule"] == EpochRule.BEST_ON_VALIDATION.label
    assert "| 1 | 0.10 | 0.10 | 0.100 | 0.100 | 2 |" in markdown and data["annotation_file"]["sha256"] in markdown
    assert "## Environment" in markdown


def test_one_seed_has_no_spread_and_the_json_keeps_per_video_numbers(tmp_path):
    evaluation = _evaluation(tmp_path, [None], synthetic=False)
    comparison = v2v_comparison(evaluation)
    assert comparison.rows[0].std is None and comparison.rows[0].runs == 1
    payload = videoxum_json(evaluation, comparison, "python inference.py --json j")
    data = payload["datasets"]["VideoXum"]
    assert payload["format"] == "csta-comparison/1" and data["synthetic_data"] is False and data["human"]["kendall"] == 0.5
    (folder,) = data["folders"]
    assert folder["across_seeds"] is None and folder["runs"][0]["videos"][0]["key"] == "v_a"
    markdown = videoxum_report_markdown(videoxum_report(evaluation, comparison, torch.device("cpu"), "c"))
    assert "SYNTHETIC" not in markdown and "| 0.10 | 0.10 | - |" in markdown
