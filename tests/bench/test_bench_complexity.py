"""bench/bench_complexity.py on synthetic files: the figures from the h5 file or from the TVSum
annotations alone, a variant chosen by the reference's options, and every row of a grid."""

import json
import shutil

import pytest

from tests.bench.script import load_bench_script


def _bench_module():
    return load_bench_script("bench_complexity")


def test_bench_script_on_synthetic_files(tiny_data_dir, tmp_path, capsys):
    bench = _bench_module()
    bare = tmp_path / "annotations_only"
    bare.mkdir()
    shutil.copy(tiny_data_dir / "ydata-anno.tsv", bare)
    assert bench.main(bench.parse_args(["--dataset", "TVSum", "--data-dir", str(bare), "--device", "cpu", "--json", str(tmp_path / "c.json")])) == 0
    printed = capsys.readouterr().out
    assert "frame counts" in printed and "SYNTHETIC" in printed and "the paper reports 15.73 G" in printed
    lengths_from_h5, _, _ = bench.video_lengths("TVSum", tiny_data_dir)
    lengths_from_tsv, _, _ = bench.video_lengths("TVSum", bare)
    assert lengths_from_tsv == lengths_from_h5
    assert bench.main(bench.parse_args(["--dataset", "SumMe", "--data-dir", str(tmp_path), "--device", "cpu"])) == 2
    assert "eccv16_dataset_summe_google_pool5.h5" in capsys.readouterr().err


def test_bench_script_takes_variant_options_and_grids(tiny_data_dir, tmp_path, capsys):
    bench = _bench_module()
    common = ["--dataset", "SumMe", "--data-dir", str(tiny_data_dir), "--device", "cpu"]
    assert bench.main(bench.parse_args([*common, "--model_name", "ResNet_Attention", "--CLS_on", "false", "--json", str(tmp_path / "v.json")])) == 0
    assert "variant: ResNet_Attention --CLS_on false" in capsys.readouterr().out
    saved = json.loads((tmp_path / "v.json").read_text())
    assert saved["model_config"]["model_name"] == "ResNet_Attention" and saved["model_config"]["CLS_on"] is False
    assert bench.main(bench.parse_args([*common, "--Scale", "X"])) == 2
    assert "unknown Scale 'X'; choose one of D, T, T_D, None" in capsys.readouterr().err
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"variants": [{"name": "released"}, {"name": "no head", "options": {"Classifier_on": "false"}}]}))
    assert bench.main(bench.parse_args([*common, "--grid", str(grid)])) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["released", "no"]
    with pytest.raises(SystemExit):
        bench.parse_args([*common, "--grid", str(grid), "--Scale", "D"])
