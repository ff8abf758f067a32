import shutil

import pytest
import torch
from torch import nn

from engine import complexity
from models.backbone import BackboneInit
from models.csta import build_csta
from tests.bench_module import load_bench_script


def _bench_module():
    return load_bench_script("complexity")


class _WithUnusedHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.googlenet = nn.Module()
        self.googlenet.fc = nn.Linear(4, 2)  # 10 parameters, never run
        self.head = nn.Linear(3, 1)  # 4 parameters
        self.frozen = nn.Linear(5, 5)
        self.frozen.requires_grad_(False)


def test_parameter_conventions_by_hand():
    count = complexity.count_parameters(_WithUnusedHead())
    assert (count.trainable, count.trainable_used) == (14, 4)
    assert count.used_in_mebi == pytest.approx(4 / 2**20)


def test_csta_parameter_count():
    count = complexity.count_parameters(build_csta(BackboneInit.RANDOM))
    fc = 1000 * 1024 + 1000
    assert count.trainable - count.trainable_used == fc


def test_macs_by_hand():
    assert complexity.forward_macs(nn.Linear(1024, 1, bias=False), torch.zeros(7, 1024)) == 7 * 1024
    conv = nn.Conv2d(3, 8, 3, bias=False)
    assert complexity.forward_macs(conv, torch.zeros(1, 3, 10, 10)) == 8 * 8 * 8 * 3 * 9


def test_csta_macs_grow_with_length_and_cover_the_linear_layers(monkeypatch):
    model = build_csta(BackboneInit.RANDOM)
    d = 1024
    t = 40
    macs = complexity.forward_macs(model, torch.zeros(t, d))
    linear = (t + 1) * 3 * d * d + (t + 1) * d * d + t * (d * d + d)  # key (3 channels), value, head
    assert macs > linear  # the GoogLeNet trunk adds the rest
    calls = []
    original = complexity.forward_macs
    monkeypatch.setattr(complexity, "forward_macs", lambda m, f: calls.append(len(f)) or original(m, f))
    summary = complexity.macs_over_lengths(model, [t, t, 2 * t], torch.device("cpu"))
    assert calls == [t, 2 * t]  # a length already measured is not run again
    assert summary.videos[0].macs == macs and summary.videos[2].macs > macs
    assert summary.mean == pytest.approx((2 * macs + summary.videos[2].macs) / 3)
    with pytest.raises(ValueError, match="no videos"):
        complexity.macs_over_lengths(model, [], torch.device("cpu"))


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


@pytest.mark.parametrize("options", [{}, {"model_name": "MobileNet_Attention", "CLS_mix": "SM"}, {"Positional_encoding": "CPE"}])
def test_meta_counts_equal_real_counts(options):
    from config import ModelConfig

    config = ModelConfig.from_options(options)
    torch.manual_seed(0)
    model = build_csta(BackboneInit.RANDOM, config)
    lengths = [20, 33, 20]
    real = complexity.macs_over_lengths(model, lengths, torch.device("cpu"))
    assert complexity.meta_macs(config, lengths) == real


def test_bench_script_takes_variant_options_and_grids(tiny_data_dir, tmp_path, capsys):
    import json

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
