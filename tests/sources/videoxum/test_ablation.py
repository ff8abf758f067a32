"""ablate.py --dataset VideoXum (sources/videoxum/ablation.py) on a SYNTHETIC set of three short videos (one
per split; CSTA's trunk is slow to train on a CPU): a CSTA variant trained one epoch on 32-d features, the table in V2V terms, the weights reused on a second run;
a variant that cannot take the features refused before any training."""

import json
import logging

import pytest

import ablate
from engine.ablation.grid import GridError, read_grid, sized_variants


@pytest.fixture(scope="module")
def videoxum_dir(tmp_path_factory):
    from dataset.videoxum_synthetic import SyntheticVideoXumConfig, write_synthetic_videoxum

    cfg = SyntheticVideoXumConfig(n_videos=3, features="tiny", dim=32, median_seconds=5, min_seconds=4, max_seconds=6)
    return write_synthetic_videoxum(tmp_path_factory.mktemp("videoxum") / "vx", cfg, progress=False)


@pytest.fixture
def grid(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"variants": [{"name": "no CLS token", "group": "CLS token", "options": {"CLS_on": "false"}}]}))
    return path


def _argv(videoxum_dir, weights, grid, *extra):
    return ["--grid", str(grid), "--dataset", "VideoXum", "--data-dir", str(videoxum_dir), "--features", "tiny", "--workers", "0",
            "--epochs", "1", "--device", "cpu", "--random-init", "--weights-dir", str(weights), *extra]


def test_the_grid_trains_on_videoxum_and_reports_v2v(videoxum_dir, tmp_path, grid, caplog):
    weights = tmp_path / "weights"
    with caplog.at_level(logging.INFO):
        assert ablate.main(ablate.parse_args(_argv(videoxum_dir, weights, grid))) == 0
    assert {p.name for p in (weights / "ablation" / "no-cls-token" / "VideoXum").iterdir()} == {"split1.pt", "split1.json", "split1_curve.png"}
    record = json.loads((weights / "ablation" / "no-cls-token" / "VideoXum" / "split1.json").read_text())
    assert record["model_options"]["CLS_on"] is False and record["feature_dim"] == 32 and record["selection_rule"] == "validation"
    payload = json.loads((weights / "ablation" / "ablation.json").read_text())
    cell = payload["variants"][0]["datasets"]["VideoXum"]
    assert cell["v2v"]["mean"] == pytest.approx(record["test_v2v"])  # the kept weights' test numbers, scored again
    assert cell["mean"]["f1"] == pytest.approx(record["test_v2v"]["f1_mean"]) and cell["synthetic_data"] is True
    markdown = (weights / "ablation" / "ablation.md").read_text()
    assert "VideoXum F1 max | VideoXum F1 mean | VideoXum tau" in markdown and "V2V protocol" in markdown and "SYNTHETIC" in markdown
    assert f"| no CLS token | CLS token | {record['test_v2v']['f1_max']:.2f} | {record['test_v2v']['f1_mean']:.2f} |" in markdown

    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert ablate.main(ablate.parse_args(_argv(videoxum_dir, weights, grid, "--out", str(tmp_path / "again")))) == 0
    assert caplog.text.count("weights exist, not trained again") == 1
    again = json.loads((tmp_path / "again" / "ablation.json").read_text())
    assert again["variants"][0]["datasets"] == payload["variants"][0]["datasets"]


def test_a_variant_that_cannot_take_the_features_is_refused_before_training(videoxum_dir, tmp_path, caplog):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"variants": [{"name": "FPE, Transformer way", "options": {"Positional_encoding_way": "Transformer"}}]}))
    with pytest.raises(GridError, match="(?s)'FPE, Transformer way' cannot run on 32-dimensional VideoXum features: .*only GoogleNet fits"):
        sized_variants(read_grid(path), 32, "VideoXum")
    assert ablate.main(ablate.parse_args(_argv(videoxum_dir, tmp_path / "w", path))) == 2
    assert "cannot run on 32-dimensional" in caplog.text and not (tmp_path / "w").exists()


def test_ray_is_refused_on_videoxum(videoxum_dir, tmp_path, grid, capsys):
    with pytest.raises(SystemExit):
        ablate.parse_args(_argv(videoxum_dir, tmp_path, grid, "--ray"))
    assert "not wired for --dataset VideoXum" in capsys.readouterr().err
