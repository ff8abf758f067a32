"""train.py and inference.py end to end, on tiny synthetic data, the way a user calls them."""

import hashlib
import json
import shutil

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
    assert sorted(p.name for p in (trained_weights / "TVSum").iterdir()) == [
        "split1.json", "split1.pt", "split1_curve.png", "split2.json", "split2.pt", "split2_curve.png"]
    assert (trained_weights / "TVSum" / "split1_curve.png").read_bytes().startswith(b"\x89PNG")
    out = tmp_path / "report.json"
    caplog.set_level("INFO")
    # inference needs no ImageNet file: every tensor comes from the checkpoint
    for cached in (tmp_path / "torch_home").rglob("googlenet-*"):
        cached.unlink()
    code = inference.main(inference.parse_args([
        "--dataset", "TVSum", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--weights-dir", str(trained_weights),
        "--splits-file", str(tiny_splits["TVSum"]), "--json", str(out), "--report", str(tmp_path / "rep"), "--random-draws", "2",
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
    _check_report(tmp_path / "rep", tiny_data_dir, trained_weights, report)


def _check_report(rep, tiny_data_dir, weights, table):
    """The report holds the same numbers as the table, the paper's row, the baselines, checksums and plots."""
    payload = json.loads((rep / "report.json").read_text())
    tvsum = payload["datasets"]["TVSum"]
    assert tvsum["runs"][0]["mean"] == table["mean"]
    assert tvsum["paper"]["kendall"] == 0.194 and tvsum["paper"]["spearman"] == 0.255 and tvsum["paper"]["f1"] is None
    assert [row["name"] for row in tvsum["baselines"]] == ["Random", "Human"]
    assert all(row["n_videos"] == 6 for row in tvsum["baselines"])
    h5 = tiny_data_dir / "eccv16_dataset_tvsum_google_pool5.h5"
    assert tvsum["data_file"]["sha256"] == hashlib.sha256(h5.read_bytes()).hexdigest()
    assert tvsum["annotation_file"]["path"].endswith("ydata-anno.tsv")
    split = tvsum["runs"][0]["splits"][0]
    assert split["weights"]["sha256"] == hashlib.sha256((weights / "TVSum" / "split1.pt").read_bytes()).hexdigest()
    assert split["training"]["seed"] == 123456 and split["training"]["epochs"] == 1
    assert tvsum["synthetic_data"] and tvsum["stand_in_backbone"]
    assert {"device", "torch", "numpy", "python"} <= set(payload["environment"])
    assert len(tvsum["plots"]) == 6 and all((rep / p).read_bytes().startswith(b"\x89PNG") for p in tvsum["plots"])
    markdown = (rep / "report.md").read_text()
    assert "| CSTA (paper) | not stated | 0.194 | 0.255 |" in markdown
    assert "SYNTHETIC" in markdown and "STAND-IN" in markdown and "| Human |" in markdown


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



def test_several_seeds_train_and_report_mean_and_std(tiny_data_dir, tiny_splits, stand_in_torch_home, tmp_path, caplog):
    caplog.set_level("INFO")
    weights = tmp_path / "weights"
    common = ["--dataset", "SumMe", "--split", "1", "--device", "cpu", "--data-dir", str(tiny_data_dir),
              "--weights-dir", str(weights), "--splits-file", str(tiny_splits["SumMe"])]
    assert train.main(train.parse_args([*common, "--epochs", "1", "--seeds", "3", "4"])) == 0
    for seed in (3, 4):
        assert sorted(p.name for p in (weights / "SumMe" / f"seed{seed}").iterdir()) == ["split1.json", "split1.pt", "split1_curve.png"]
        assert json.loads((weights / "SumMe" / f"seed{seed}" / "split1.json").read_text())["train_config"]["seed"] == seed
    assert not (weights / "SumMe" / "split1.pt").exists()
    assert "mean ± std over 2 seeds" in caplog.text

    out, rep = tmp_path / "seeds.json", tmp_path / "rep"
    assert inference.main(inference.parse_args([*common, "--seeds", "3", "4", "--json", str(out), "--report", str(rep), "--random-draws", "1",
                                                "--complexity"])) == 0
    result = json.loads(out.read_text())["SumMe"]
    kendalls = [result["runs"][seed]["mean"]["kendall"] for seed in ("3", "4")]
    assert result["across_seeds"]["mean"]["kendall"] == pytest.approx(sum(kendalls) / 2)
    assert result["across_seeds"]["std"]["kendall"] == pytest.approx(abs(kendalls[0] - kendalls[1]) / 2 ** 0.5)
    report = json.loads((rep / "report.json").read_text())["datasets"]["SumMe"]
    assert [run["seed"] for run in report["runs"]] == [3, 4] and report["across_seeds"]["seeds"] == [3, 4]
    assert len(report["plots"]) == 8 and any("seed4/split1/" in p for p in report["plots"])
    assert report["runs"][0]["splits"][0]["curve"].endswith("seed3/split1_curve.png")
    assert report["complexity"]["macs"]["n_videos"] == 4 and report["complexity"]["macs"]["mean_macs"] > 1e9
    assert report["complexity"]["parameters"]["trainable"] == 9_779_851
    markdown = (rep / "report.md").read_text()
    assert "2 seeds" in markdown and "MACs per score prediction" in markdown
    # one seed means the flat layout in both scripts, so a lone --seeds 3 does not look in seed3/
    assert inference.main(inference.parse_args([*common, "--seeds", "3"])) == 2
    assert str(weights / "SumMe" / "split1.pt") in caplog.text


def test_report_bad_inputs_are_clear_errors(tiny_data_dir, tiny_splits, tmp_path, caplog):
    with pytest.raises(SystemExit):
        inference.parse_args(["--complexity"])  # nothing to add it to
    rep = tmp_path / "rep"
    base = ["--device", "cpu", "--report", str(rep), "--weights-dir", str(tmp_path / "none")]
    # weights that do not exist
    code = inference.main(inference.parse_args([*base, "--dataset", "SumMe", "--split", "1", "--data-dir", str(tiny_data_dir),
                                                "--splits-file", str(tiny_splits["SumMe"])]))
    assert code == 2 and str(tmp_path / "none" / "SumMe" / "split1.pt") in caplog.text
    # a dataset without its annotations
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(tiny_data_dir / "eccv16_dataset_tvsum_google_pool5.h5", bare)
    code = inference.main(inference.parse_args([*base, "--dataset", "TVSum", "--data-dir", str(bare), "--splits-file", str(tiny_splits["TVSum"])]))
    assert code == 2 and "TVSum annotations not found" in caplog.text and "ydata-anno.tsv" in caplog.text
    # an empty split
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"format": "csta-splits/1", "dataset": "SumMe", "splits": [{"train": ["video_1"], "test": []}]}))
    code = inference.main(inference.parse_args([*base, "--dataset", "SumMe", "--data-dir", str(tiny_data_dir), "--splits-file", str(empty)]))
    assert code == 2 and "split 1 has no test videos" in caplog.text
    assert not rep.exists()  # nothing is written when the inputs are wrong
