"""train.py and inference.py end to end, on tiny synthetic data, the way a user calls them."""

import json

import pytest

import inference
import train


@pytest.fixture
def trained_weights(tiny_data_dir, tiny_splits, stand_in_torch_home, tmp_path):
    weights = tmp_path / "weights"
    code = train.main(train.parse_args([
        "--dataset", "TVSum", "--epochs", "1", "--device", "cpu", "--data-dir", str(tiny_data_dir),
        "--weights-dir", str(weights), "--splits-file", str(tiny_splits["TVSum"]),
    ]))
    assert code == 0
    return weights


def test_train_then_inference_with_json(trained_weights, tiny_data_dir, tiny_splits, tmp_path, caplog):
    assert sorted(p.name for p in (trained_weights / "TVSum").iterdir()) == ["split1.json", "split1.pt", "split2.json", "split2.pt"]
    out = tmp_path / "report.json"
    caplog.set_level("INFO")
    # inference needs no ImageNet file: every tensor comes from the checkpoint
    for cached in (tmp_path / "torch_home").rglob("googlenet-*"):
        cached.unlink()
    code = inference.main(inference.parse_args([
        "--dataset", "TVSum", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--weights-dir", str(trained_weights),
        "--splits-file", str(tiny_splits["TVSum"]), "--json", str(out),
    ]))
    assert code == 0
    assert "SYNTHETIC" in caplog.text and "STAND-IN" in caplog.text
    report = json.loads(out.read_text())["TVSum"]
    assert [s["split"] for s in report["splits"]] == [1, 2]
    for split in report["splits"]:
        assert {"split", "f1", "kendall", "spearman"} <= set(split)
        assert -1 <= split["kendall"] <= 1 and 0 <= split["f1"] <= 100
    assert report["mean"]["kendall"] == pytest.approx((report["splits"][0]["kendall"] + report["splits"][1]["kendall"]) / 2)
    assert report["synthetic_data"] and report["stand_in_backbone"]
    # the numbers equal those recorded at training time for the kept epoch
    recorded = json.loads((trained_weights / "TVSum" / "split1.json").read_text())["metrics"]
    assert report["splits"][0]["kendall"] == pytest.approx(recorded["kendall"])
    assert report["splits"][0]["f1"] == pytest.approx(recorded["f1"])


def test_inference_names_missing_weights(tiny_data_dir, tiny_splits, tmp_path, caplog):
    code = inference.main(inference.parse_args([
        "--dataset", "SumMe", "--split", "1", "--data-dir", str(tiny_data_dir), "--weights-dir", str(tmp_path),
        "--splits-file", str(tiny_splits["SumMe"]), "--device", "cpu",
    ]))
    assert code == 2
    assert str(tmp_path / "SumMe" / "split1.pt") in caplog.text


def test_train_stops_before_work_when_data_is_missing(tmp_path, caplog):
    code = train.main(train.parse_args(["--dataset", "SumMe", "--data-dir", str(tmp_path), "--random-init", "--device", "cpu"]))
    assert code == 2
    assert "eccv16_dataset_summe_google_pool5.h5" in caplog.text


def test_train_stops_when_imagenet_weights_are_missing(tiny_data_dir, tiny_splits, offline_empty_torch_home, tmp_path, caplog):
    code = train.main(train.parse_args([
        "--dataset", "SumMe", "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"]),
        "--weights-dir", str(tmp_path / "w"), "--device", "cpu",
    ]))
    assert code == 2
    assert "googlenet-1378be20.pth" in caplog.text and "--random-init" in caplog.text
    assert not (tmp_path / "w").exists()


def test_splits_file_needs_one_dataset(tmp_path):
    with pytest.raises(SystemExit):
        train.parse_args(["--splits-file", str(tmp_path / "x.json")])
