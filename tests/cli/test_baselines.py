import json
import shutil

import pytest

from cli import baselines as baselines_cli
from config import DATASETS
from dataset import load_benchmark
from evaluation import baselines

TVSUM = DATASETS["TVSum"]


def test_tvsum_from_annotations_alone(tiny_data_dir, tmp_path):
    shutil.copy(tiny_data_dir / "ydata-anno.tsv", tmp_path / "ydata-anno.tsv")
    out = tmp_path / "b.json"
    assert baselines_cli.main(baselines_cli.parse_args(["--dataset", "TVSum", "--data-dir", str(tmp_path), "--json", str(out)])) == 0
    rows = {row["name"]: row for row in json.loads(out.read_text())["TVSum"]["rows"]}
    assert rows["Human"]["f1"] is None and rows["Random"]["kendall"] is None
    # the same tau/rho as from the h5 file with the annotations attached
    with_h5 = baselines.human_baseline(list(load_benchmark(TVSUM, tiny_data_dir).videos.values()), TVSUM)
    assert rows["Human"]["kendall"] == pytest.approx(with_h5.kendall)
    assert rows["Human"]["spearman"] == pytest.approx(with_h5.spearman)


def test_command_prints_both_rows_and_labels_synthetic(tiny_data_dir, caplog):
    caplog.set_level("INFO")
    assert baselines_cli.main(baselines_cli.parse_args(["--dataset", "SumMe", "--data-dir", str(tiny_data_dir), "--draws", "2"])) == 0
    assert "Random" in caplog.text and "Human" in caplog.text and "SYNTHETIC" in caplog.text


def test_missing_data_is_a_clear_error(tiny_data_dir, tmp_path, caplog):
    assert baselines_cli.main(baselines_cli.parse_args(["--dataset", "SumMe", "--data-dir", str(tmp_path)])) == 2
    assert "eccv16_dataset_summe_google_pool5.h5" in caplog.text
    shutil.copy(tiny_data_dir / TVSUM.h5_name, tmp_path / TVSUM.h5_name)  # h5 but no annotations
    assert baselines_cli.main(baselines_cli.parse_args(["--dataset", "TVSum", "--data-dir", str(tmp_path)])) == 2
    assert "ydata-anno.tsv" in caplog.text
    with pytest.raises(SystemExit):
        baselines_cli.parse_args(["--dataset", "SumMe", "--draws", "0"])


def test_an_existing_json_is_refused_unless_overwrite(tiny_data_dir, tmp_path, caplog):
    out = tmp_path / "b.json"
    out.write_text("earlier rows")
    argv = ["--dataset", "SumMe", "--data-dir", str(tiny_data_dir), "--draws", "1", "--json", str(out)]
    assert baselines_cli.main(baselines_cli.parse_args(argv)) == 2
    assert f"{out} already exists; --overwrite replaces it" in caplog.text and out.read_text() == "earlier rows"
    assert baselines_cli.main(baselines_cli.parse_args([*argv, "--overwrite"])) == 0
    assert json.loads(out.read_text())["SumMe"]["rows"]
