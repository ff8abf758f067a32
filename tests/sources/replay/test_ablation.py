"""ablate.py --dataset MrHiSum (sources/replay/ablation.py) on the tiny SYNTHETIC set of conftest.py: a 2-row grid
trained one epoch on 3 training videos (--limit), the table in the protocol's own metrics, each from the checkpoint the
protocol keeps for it; the weights reused on a second run; weights chosen under another protocol refused before any work;
and a TripleSumm table (MoSu's default) over two seeds, built without training."""

import json
import logging

import pytest

import ablate

ROWS = [{"name": "CSTA", "group": "released", "options": {}}, {"name": "no CLS token", "group": "CLS token", "options": {"CLS_on": "false"}}]


@pytest.fixture
def grid(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"variants": ROWS}))
    return path


def _argv(data_dir, dataset, weights, grid, *extra):
    return ["--grid", str(grid), "--dataset", dataset, "--data-dir", str(data_dir), "--limit", "3", "--workers", "0", "--epochs", "1",
            "--device", "cpu", "--random-init", "--weights-dir", str(weights), *extra]


def test_the_grid_trains_on_mrhisum_and_reports_its_protocol(replay_sets, tmp_path, grid, caplog):
    weights = tmp_path / "weights"
    with caplog.at_level(logging.INFO):
        assert ablate.main(ablate.parse_args(_argv(replay_sets["mrhisum"], "MrHiSum", weights, grid))) == 0
    payload = json.loads((weights / "ablation" / "ablation.json").read_text())
    markdown = (weights / "ablation" / "ablation.md").read_text()
    assert "| variant | group | MrHiSum F1 | MrHiSum mAP@50 | MrHiSum mAP@15 | MrHiSum GMACs | params (M) |" in markdown
    assert "MrHiSum under the Mr.HiSum protocol" in markdown and "`--protocol mrhisum`" in markdown and "SYNTHETIC" in markdown
    assert (weights / "ablation" / "ablation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for row, entry in zip(ROWS, payload["variants"], strict=True):
        folder = weights / "ablation" / entry["folder"] / "MrHiSum"
        assert {"split1.pt", "split1_map50.pt", "split1_map15.pt", "split1.json"} <= {p.name for p in folder.iterdir()}
        record = json.loads((folder / "split1.json").read_text())
        assert record["evaluation_protocol"] == "mrhisum" and record["limit"] == 3 and record["videos"]["train"] == 3
        assert record["model_options"]["CLS_on"] is (row["name"] == "CSTA") and record["feature_dim"] == 16
        cell = entry["datasets"]["MrHiSum"]
        assert cell["protocol"] == "mrhisum" and cell["synthetic_data"] is True and cell["std"] == {"f1": 0.0, "map50": 0.0, "map15": 0.0}
        assert cell["checkpoint_of_each_metric"] == {"f1": "f1", "map50": "map50", "map15": "map15"}
        assert cell["mean"] == pytest.approx(record["test"])  # each metric from its own kept checkpoint, scored again on test
        assert f"| {row['name']} | {row['group']} | {record['test']['f1']:.2f} | {record['test']['map50']:.2f} | {record['test']['map15']:.2f} |" in markdown

    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = ["--out", str(tmp_path / "again"), "--variants", "CSTA"]  # one row: scoring is what is measured here
        assert ablate.main(ablate.parse_args(_argv(replay_sets["mrhisum"], "MrHiSum", weights, grid, *again))) == 0
    assert caplog.text.count("weights exist, not trained again") == 1 and "training MrHiSum" not in caplog.text
    again = json.loads((tmp_path / "again" / "ablation.json").read_text())
    assert again["variants"][0]["datasets"] == payload["variants"][0]["datasets"]

    caplog.clear()
    other = ["--protocol", "triplesumm", "--out", str(tmp_path / "other")]
    assert ablate.main(ablate.parse_args(_argv(replay_sets["mrhisum"], "MrHiSum", weights, grid, *other))) == 2
    assert "was chosen under the mrhisum protocol, and this table is under triplesumm" in caplog.text
    assert not (tmp_path / "other").exists()


def test_a_triplesumm_table_over_two_seeds(tmp_path):
    """MoSu's default protocol, two seeds, without training: the protocol's columns, mean ± sample std, the chart's panels."""
    from config import ModelConfig
    from engine.ablation.grid import Variant
    from engine.ablation.grid_runs import DatasetCell, ProtocolSpread, VariantResult
    from engine.ablation.table import ablation_json, ablation_markdown, write_ablation_table
    from engine.evaluate.complexity import ParameterCount

    runs = ({"tau": 0.1, "rho": 0.2, "map50": 60.0, "map15": 30.0}, {"tau": 0.3, "rho": 0.4, "map50": 62.0, "map15": 34.0})
    spread = ProtocolSpread("triplesumm", "TripleSumm protocol (...)", ("tau", "rho", "map50", "map15"), (1, 2), runs,
                            {m: "tau+rho" for m in ("tau", "rho", "map50", "map15")})
    result = VariantResult(Variant("CSTA", "csta", "", {}, ModelConfig()), ParameterCount(2_000_000, 2_000_000),
                           {"MoSu": DatasetCell(None, 3e9, True, protocol=spread)}, 2, 0)
    markdown = ablation_markdown([result], stand_in=False)
    assert "| variant | group | MoSu tau | MoSu rho | MoSu mAP@50 | MoSu mAP@15 | MoSu GMACs | params (M) |" in markdown
    assert "| CSTA |  | 0.200 ± 0.141 | 0.300 ± 0.141 | 61.00 ± 1.41 | 32.00 ± 2.83 | 3.00 | 2.00 |" in markdown
    assert "MoSu under the TripleSumm protocol" in markdown and "mean ± std over seeds" in markdown
    cell = ablation_json([result], False, "ablate.py")["variants"][0]["datasets"]["MoSu"]
    assert cell["protocol"] == "triplesumm" and cell["mean"]["map15"] == pytest.approx(32.0) and cell["per_seed"] == list(runs)
    png = write_ablation_table(tmp_path, [result], False, "ablate.py")[2]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_checkpoint_a_run_keeps_is_claimed_before_training(replay_sets, tmp_path, grid, caplog):
    """A run's other kept checkpoints (Mr.HiSum's split1_map50.pt) are its outputs too, checked before any work: one
    that cannot be written (a folder stands there) stops the grid before training, naming it."""
    weights = tmp_path / "weights"
    blocked = weights / "ablation" / "csta" / "MrHiSum" / "split1_map50.pt"
    blocked.mkdir(parents=True)
    assert ablate.main(ablate.parse_args(_argv(replay_sets["mrhisum"], "MrHiSum", weights, grid, "--variants", "CSTA"))) == 2
    assert str(blocked) in caplog.text and "training MrHiSum" not in caplog.text
    assert not (blocked.parent / "split1.pt").exists()
