"""ablate.py end to end on tiny synthetic data: a two-variant grid trained for one epoch, the second
run skipping the existing weights, the table's files; bad grids refused before any training."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ablate
from engine.ablation import grid_runs as ablation

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def grid(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"variants": [
        {"name": "CSTA", "group": "Components"},
        {"name": "no CLS token", "group": "CLS token", "options": {"CLS_on": "false"}},
    ]}))
    return path


def args_for(tiny_data_dir, tiny_splits, weights, grid, *extra):
    return ["--grid", str(grid), "--dataset", "SumMe", "--split", "1", "--epochs", "1", "--device", "cpu", "--random-init",
            "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights), *extra]


def test_grid_trained_then_skipped_and_table_written(tiny_data_dir, tiny_splits, tmp_path, grid, caplog):
    weights = tmp_path / "weights"
    argv = args_for(tiny_data_dir, tiny_splits, weights, grid)
    with caplog.at_level(logging.INFO):
        assert ablate.main(ablate.parse_args(argv)) == 0
    for folder in ("csta", "no-cls-token"):
        run = weights / "ablation" / folder / "SumMe"
        assert {p.name for p in run.iterdir()} == {"split1.pt", "split1.json", "split1_curve.png"}
    table = weights / "ablation"
    payload = json.loads((table / "ablation.json").read_text())
    assert [v["name"] for v in payload["variants"]] == ["CSTA", "no CLS token"]
    assert [v["runs_trained"] for v in payload["variants"]] == [1, 1]
    assert payload["variants"][1]["model_config"]["CLS_on"] is False
    record = json.loads((weights / "ablation" / "no-cls-token" / "SumMe" / "split1.json").read_text())
    kept = payload["variants"][1]["datasets"]["SumMe"]["mean"]
    assert kept["kendall"] == pytest.approx(record["metrics"]["kendall"], abs=1e-9)  # the table evaluates the kept weights
    markdown = (table / "ablation.md").read_text()
    assert "| CSTA | Components |" in markdown and "| no CLS token | CLS token |" in markdown and "SYNTHETIC" in markdown
    assert (table / "ablation.png").read_bytes()[:4] == b"\x89PNG"

    before = {p: p.stat().st_mtime_ns for p in weights.rglob("split1.pt")}
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert ablate.main(ablate.parse_args(argv + ["--out", str(tmp_path / "table2")])) == 0
    assert caplog.text.count("weights exist, not trained again") == 2
    assert {p: p.stat().st_mtime_ns for p in weights.rglob("split1.pt")} == before
    again = json.loads((tmp_path / "table2" / "ablation.json").read_text())
    assert [v["runs_skipped"] for v in again["variants"]] == [1, 1]
    assert again["variants"][1]["datasets"] == payload["variants"][1]["datasets"]


def test_missing_runs_train_as_one_ray_sweep(tiny_data_dir, tiny_splits, tmp_path, grid, caplog):
    """The same run function as train.py --ray (engine.scale.ray_sweep), then the table from the weights on disk."""
    pytest.importorskip("ray")
    weights = tmp_path / "weights"
    with caplog.at_level(logging.INFO):
        assert ablate.main(ablate.parse_args(args_for(tiny_data_dir, tiny_splits, weights, grid, "--ray", "--cpus-per-run", "1"))) == 0
    assert "training 2 run(s) of 2 variant(s) on Ray" in caplog.text
    for folder in ("csta", "no-cls-token"):
        assert {p.name for p in (weights / "ablation" / folder / "SumMe").iterdir()} == {"split1.pt", "split1.json", "split1_curve.png"}
    payload = json.loads((weights / "ablation" / "ablation.json").read_text())
    assert [v["runs_trained"] for v in payload["variants"]] == [1, 1]
    record = json.loads((weights / "ablation" / "no-cls-token" / "SumMe" / "split1.json").read_text())
    assert record["model_options"]["CLS_on"] is False
    assert payload["variants"][1]["datasets"]["SumMe"]["mean"]["kendall"] == pytest.approx(record["metrics"]["kendall"], abs=1e-9)


@pytest.mark.parametrize(("row", "message"), [
    ({"name": "bad", "options": {"CLS_on": "false", "CLS_mix": "CNN"}}, "row 2 ('bad')"),
    ({"name": "bad", "options": {"Skip_connection": "XX"}}, "unknown Skip_connection 'XX'; choose one of KC, CF, IF, None"),
    ({"name": "CSTA"}, "row 2 ('CSTA'): same name as row 1"),
])
def test_bad_grids_are_refused_before_any_data_or_training(tiny_data_dir, tiny_splits, tmp_path, row, message, monkeypatch, caplog):
    monkeypatch.setattr(ablation, "train_run", lambda *a, **k: pytest.fail("training started"))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"variants": [{"name": "CSTA"}, row]}))
    with caplog.at_level(logging.ERROR):
        assert ablate.main(ablate.parse_args(args_for(tiny_data_dir, tiny_splits, tmp_path / "w", path))) == 2
    assert message in caplog.text and str(path) in caplog.text
    assert not (tmp_path / "w").exists()


def test_unknown_variant_names_are_refused(tiny_data_dir, tiny_splits, tmp_path, grid, caplog):
    with caplog.at_level(logging.ERROR):
        assert ablate.main(ablate.parse_args(args_for(tiny_data_dir, tiny_splits, tmp_path / "w", grid, "--variants", "CPE"))) == 2
    assert "has no row 'CPE'; its rows are: CSTA, no CLS token" in caplog.text


def test_parsing_is_light_and_help_answers():
    code = "import sys, ablate; ablate.parse_args(['--dataset', 'SumMe']); print(' '.join(m for m in ('torch', 'numpy', 'h5py') if m in sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip() == ""
    result = subprocess.run([sys.executable, "ablate.py", "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--grid" in result.stdout and "--seeds" in result.stdout


def test_a_summdiff_grid_trains_with_its_authors_protocol(tiny_data_dir, tiny_splits, tmp_path):
    """A grid naming SummDiff: each row built, trained (its authors' SumMe protocol and epoch rule) and measured through
    the registry, with its options as the flags name them."""
    path = tmp_path / "summdiff.json"
    path.write_text(json.dumps({"method": "SummDiff", "variants": [
        {"name": "one block", "options": {"decoder_layers": 1, "sampling_steps": 2}},  # 2 DDIM steps: a fast evaluation
        {"name": "one block, sinusoidal, w 0.5", "options": {"decoder_layers": "1", "score_embedding": "sinusoidal", "guidance": "0.5",
                                                             "sampling_steps": "2"}},
    ]}))
    weights = tmp_path / "weights"
    assert ablate.main(ablate.parse_args(args_for(tiny_data_dir, tiny_splits, weights, path))) == 0
    payload = json.loads((weights / "ablation" / "ablation.json").read_text())
    assert [(v["method"], v["runs_trained"]) for v in payload["variants"]] == [("SummDiff", 1), ("SummDiff", 1)]
    configs = [v["model_config"] for v in payload["variants"]]
    assert [(c["decoder_layers"], c["score_embedding"], c["guidance"]) for c in configs] == [(1, "learned", None), (1, "sinusoidal", 0.5)]
    for folder, variant in zip(("one-block", "one-block-sinusoidal-w-0-5"), payload["variants"], strict=True):
        record = json.loads((weights / "ablation" / folder / "SumMe" / "split1.json").read_text())
        assert record["method"] == "SummDiff" and record["selection_rule"] == "test-tau" and record["protocol"]["learning_rate"] == 3e-5
        assert record["model_options"]["individual"] is True  # the authors' SumMe value filled in
        assert variant["datasets"]["SumMe"]["mean"]["kendall"] == pytest.approx(record["metrics"]["kendall"], abs=1e-9)
    learned, sinusoidal = (v["parameters"]["trainable"] for v in payload["variants"])
    assert learned > sinusoidal  # the learned table of K + 1 levels and its MLP against a 2-layer MLP of sinusoids
    assert (weights / "ablation" / "ablation.md").read_text().startswith("# SummDiff ablation")


@pytest.mark.parametrize(("grid", "message"), [
    ({"method": "SummDiff", "variants": [{"name": "bad", "options": {"CLS_on": "false"}}]}, "row 1 ('bad'): SummDiff has no option CLS_on"),
    ({"method": "SummDiff", "variants": [{"name": "bad", "options": {"decoder_layers": "x"}}]}, "row 1 ('bad'): option decoder_layers"),
    ({"variants": [{"name": "bad", "method": "NoSuch"}]}, "row 1 ('bad'): unknown method 'NoSuch'"),
])
def test_bad_method_rows_are_refused(tiny_data_dir, tiny_splits, tmp_path, grid, message, caplog):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(grid))
    with caplog.at_level(logging.ERROR):
        assert ablate.main(ablate.parse_args(args_for(tiny_data_dir, tiny_splits, tmp_path / "w", path))) == 2
    assert message in caplog.text
    assert not (tmp_path / "w").exists()


def test_a_source_with_its_own_ablation_route_refuses_rows_of_another_method(tmp_path, caplog):
    path = tmp_path / "summdiff.json"
    path.write_text(json.dumps({"method": "SummDiff", "variants": [{"name": "default"}]}))
    with caplog.at_level(logging.ERROR):
        assert ablate.main(ablate.parse_args(["--grid", str(path), "--dataset", "VideoXum", "--data-dir", str(tmp_path / "none"),
                                              "--weights-dir", str(tmp_path / "w")])) == 2
    assert "--dataset VideoXum (its own ablation route) ablates CSTA variants only" in caplog.text and "'default' (SummDiff)" in caplog.text
