"""engine/ablation/table.py: one row per variant with each dataset's mean (± std over seeds),
MACs and parameters; Markdown, JSON and PNG written."""

import json

from config import ModelConfig
from engine.ablation.grid import Variant
from engine.ablation.grid_runs import DatasetCell, VariantResult
from engine.ablation.table import ablation_json, ablation_markdown, write_ablation_table
from engine.evaluate.complexity import ParameterCount
from engine.evaluate.seed_spread import spread_over_seeds
from evaluation.protocol import MeanMetrics


def result(name, options, tau_by_seed, synthetic=False):
    spread = spread_over_seeds("SumMe", {seed: MeanMetrics(50.0 + tau * 10, tau, tau + 0.01) for seed, tau in tau_by_seed.items()})
    cells = {"SumMe": DatasetCell(spread, 9.5e9, synthetic), "TVSum": DatasetCell(spread, 15.25e9, synthetic)}
    return VariantResult(Variant(name, name.lower().replace(" ", "-"), "CLS token", options, ModelConfig.from_options(options)),
                         ParameterCount(9_779_851, 8_754_851), cells, trained=2, skipped=0)


def test_markdown_rows_per_variant_with_spread_over_seeds():
    rows = [result("CSTA", {}, {1: 0.2, 2: 0.3}), result("no CLS", {"CLS_on": "false"}, {1: 0.1, 2: 0.1})]
    text = ablation_markdown(rows, stand_in=False)
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| variant | group | SumMe F1 | SumMe tau | SumMe rho | SumMe GMACs | TVSum F1")
    assert lines[1] == "| CSTA | CLS token | 52.50 ± 0.71 | 0.250 ± 0.071 | 0.260 ± 0.071 | 9.50 | 52.50 ± 0.71 | 0.250 ± 0.071 | 0.260 ± 0.071 | 15.25 | 9.78 |"
    assert lines[2].startswith("| no CLS | CLS token | 51.00 ± 0.00 | 0.100 ± 0.000")
    assert "mean ± std over seeds" in text and "SYNTHETIC" not in text


def test_one_seed_has_no_spread_and_labels_are_shown():
    text = ablation_markdown([result("CSTA", {}, {1: 0.2}, synthetic=True)], stand_in=True)
    assert "| 0.200 |" in text and "±" not in text.split("\n| variant")[1]
    assert "SYNTHETIC data" in text and "STAND-IN backbone" in text


def test_files_are_written(tmp_path):
    rows = [result("CSTA", {}, {1: 0.2, 2: 0.3}), result("no CLS", {"CLS_on": "false"}, {1: 0.1, 2: 0.1})]
    paths = write_ablation_table(tmp_path / "out", rows, stand_in=False, command="ablate.py --x")
    assert [p.name for p in paths] == ["ablation.md", "ablation.json", "ablation.png"]
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    payload = json.loads(paths[1].read_text())
    assert payload == json.loads(json.dumps(ablation_json(rows, False, "ablate.py --x") | {"written": payload["written"]}))
    second = payload["variants"][1]
    assert second["name"] == "no CLS" and second["options"] == {"CLS_on": "false"} and second["model_config"]["CLS_on"] is False
    assert second["datasets"]["SumMe"]["mean"]["kendall"] == 0.1 and second["datasets"]["TVSum"]["mean_macs"] == 15.25e9
    assert not list((tmp_path / "out").glob("*.partial"))
