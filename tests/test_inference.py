"""inference.py end to end (after train.py where the numbers matter), on tiny synthetic data, the
way a user calls it: every output checked before evaluating, never an input, kept when the disk
fills, and bugs keep their traceback."""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import inference
import train
from config import PGLSumConfig
from engine.evaluate import weights_evaluation as engine_inference
from models.backbone import BackboneInit
from models.checkpoint import save_checkpoint
from models.csta import build_csta
from models.methods import method_spec
from tests.disk import disk_fills_during_run, disk_full
from tests.log_records import Records
from utils.lock import acquire_lock, lock_path_for

ROOT = Path(__file__).resolve().parents[1]


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


def test_fast_scoring_is_within_1e_5_of_the_exact_route(trained_weights, tiny_data_dir, tiny_splits, tmp_path, caplog):
    import h5py

    caplog.set_level("INFO")
    scores = {}
    for route in ("exact", "fast"):
        out = tmp_path / f"{route}.h5"
        assert inference.main(inference.parse_args([
            "--dataset", "TVSum", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--weights-dir", str(trained_weights),
            "--splits-file", str(tiny_splits["TVSum"]), "--split", "1", "--scoring", route, "--save-scores", str(out),
        ])) == 0
        assert f"scoring: {route}" in caplog.text
        with h5py.File(out) as f:
            scores[route] = {key: f["TVSum"][key]["step_scores"][()] for key in f["TVSum"]}
    assert scores["exact"].keys() == scores["fast"].keys() and scores["exact"]
    for key, exact in scores["exact"].items():
        np.testing.assert_allclose(scores["fast"][key], exact, rtol=0, atol=1e-5)


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


# Files: checked before evaluating, never an input, kept when the disk fills. Untrained weights are
# enough here (the numbers do not matter), which saves a training run.


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    """Untrained CSTA weights for both TVSum splits, and a training record beside split 1."""
    folder = tmp_path_factory.mktemp("random_weights")
    state = build_csta(BackboneInit.RANDOM).state_dict()
    for split in (1, 2):
        save_checkpoint(state, folder / "TVSum" / f"split{split}.pt")
    (folder / "TVSum" / "split1.json").write_text(json.dumps({"dataset": "TVSum", "split": 1}))
    return folder


def inference_args(tiny_data_dir, tiny_splits, weights, out=None, *extra):
    outputs = ["--json", str(out / "table.json"), "--report", str(out / "rep")] if out else []
    return ["--dataset", "TVSum", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--weights-dir", str(weights),
            "--splits-file", str(tiny_splits["TVSum"]), "--random-draws", "1", *outputs, *extra]


@pytest.fixture
def no_evaluation(monkeypatch):
    """Fails the test if the evaluation starts."""
    def refuse(*args, **kwargs):
        raise AssertionError("the evaluation started although the run should have been refused")

    monkeypatch.setattr(engine_inference, "evaluate_weights", refuse)


@pytest.fixture(scope="module")
def disk_filled_run(random_weights, tiny_data_dir, tiny_splits, tmp_path_factory):
    """One evaluation with --json and --report whose output folder fills up after the start checks passed."""
    tmp = tmp_path_factory.mktemp("filled")
    out, spare = tmp / "out", tmp / "system_tmp"
    spare.mkdir()
    records = Records()
    logging.getLogger().addHandler(records)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr("tempfile.tempdir", str(spare))
        disk_fills_during_run(monkeypatch, out)
        code = inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, random_weights, out)))
    logging.getLogger().removeHandler(records)
    folder = next(spare.iterdir()) / Path(os.path.abspath(out)).relative_to("/")  # the fallback repeats the asked path
    return code, out, sorted(path.relative_to(folder) for path in folder.rglob("*") if path.is_file()), folder, "\n".join(records.lines)


def test_a_disk_that_fills_during_evaluation_loses_nothing(disk_filled_run):
    code, out, kept, folder, log_text = disk_filled_run
    assert code == 1
    assert {Path("table.json"), Path("rep/report.json"), Path("rep/report.md")} <= set(kept)
    assert len([path for path in kept if path.suffix == ".png"]) == 6  # one plot per test video
    assert [s["split"] for s in json.loads((folder / "table.json").read_text())["TVSum"]["splits"]] == [1, 2]
    assert json.loads((folder / "rep" / "report.json").read_text())["datasets"]["TVSum"]["runs"]
    assert f"could not write {out / 'table.json'} (No space left on device); kept it as {folder / 'table.json'}" in log_text
    assert f"{out / 'rep'} -> {folder / 'rep'}" in log_text
    assert not list(out.rglob("*.lock")) and not list(out.rglob("*.partial"))


def _obstruct(path: Path, is_file: bool) -> None:
    """Make ``path`` unwritable for anyone, root included: a folder where a file goes, a file where a folder goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_file:
        path.mkdir()
    else:
        path.write_text("in the way")


def test_every_output_location_is_checked_before_evaluating(disk_filled_run, random_weights, tiny_data_dir, tiny_splits, tmp_path,
                                                            no_evaluation, caplog):
    """Each file and folder inference.py wrote (found from the run above) is made unwritable in turn."""
    _, _, kept, _, _ = disk_filled_run
    folders = sorted({parent for path in kept for parent in path.parents if parent != Path(".")})
    cases = [(path, True) for path in kept] + [(path, False) for path in folders] + [(Path("."), False)]
    for number, (relative, is_file) in enumerate(cases):
        out = tmp_path / f"out{number}"
        _obstruct(out / relative, is_file)
        caplog.clear()
        assert inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, random_weights, out))) == 2, relative
        assert str(out / relative) in caplog.text, caplog.text


def test_a_full_disk_is_refused_before_evaluating(random_weights, tiny_data_dir, tiny_splits, tmp_path, monkeypatch, no_evaluation, caplog):
    disk_full(monkeypatch, tmp_path / "out")
    assert inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, random_weights, tmp_path / "out"))) == 2
    assert "No space left on device" in caplog.text and str(tmp_path / "out") in caplog.text
    assert not (tmp_path / "out").exists()


def test_no_output_is_ever_an_input(random_weights, tiny_data_dir, tiny_splits, tmp_path, no_evaluation, caplog):
    inputs = [tiny_data_dir / "eccv16_dataset_tvsum_google_pool5.h5", tiny_data_dir / "ydata-anno.tsv", tiny_splits["TVSum"],
              random_weights / "TVSum" / "split1.pt", random_weights / "TVSum" / "split1.json"]
    (tmp_path / "linked.h5").symlink_to(inputs[0])
    for source, given in [*((path, path) for path in inputs), (inputs[0], tmp_path / "linked.h5")]:
        before = source.read_bytes()
        caplog.clear()
        assert inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, random_weights) + ["--json", str(given)])) == 2
        assert f"the output {given} is the input {source}" in caplog.text
        assert source.read_bytes() == before
    # nor one output another
    caplog.clear()
    assert inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, random_weights) + [
        "--json", str(tmp_path / "rep" / "report.json"), "--report", str(tmp_path / "rep")])) == 2
    assert "two outputs of this run are the same file" in caplog.text


def test_a_second_run_on_the_same_output_is_refused(random_weights, tiny_data_dir, tiny_splits, tmp_path, no_evaluation, caplog):
    out = tmp_path / "out"
    out.mkdir()
    first = acquire_lock(out / "table.json", command="python inference.py --the-first-run")
    try:
        assert inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, random_weights, out))) == 2
    finally:
        first.release()
    assert f"{out / 'table.json'} is being written by another run (pid {os.getpid()}" in caplog.text
    assert "--the-first-run" in caplog.text


@pytest.mark.parametrize("bug", [RuntimeError("CUDA out of memory (test)"), KeyError("a bug")], ids=["RuntimeError", "KeyError"])
def test_bugs_keep_their_traceback(bug, random_weights, tiny_data_dir, tiny_splits, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr(engine_inference, "evaluate_video", broken)
    with pytest.raises(type(bug)):
        inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, random_weights, tmp_path / "out")))
    assert not lock_path_for(tmp_path / "out" / "table.json").exists()  # released all the same
    assert not (tmp_path / "out").exists()  # and the folders it made, still empty, removed


def test_refusals_come_before_torch_is_imported(random_weights, tiny_data_dir, tiny_splits, tmp_path):
    (tmp_path / "file").write_text("x")
    args = inference_args(tiny_data_dir, tiny_splits, random_weights, tmp_path / "file")
    code = f"import sys, inference; code = inference.main(inference.parse_args({args!r})); print(code, 'torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["2", "False"]
    assert f"{tmp_path / 'file'} exists and is not a folder" in result.stderr


# ---- every method: rebuilt from records, --save-scores, --compare ----


@pytest.fixture(scope="module")
def method_folders(tmp_path_factory):
    """Untrained TVSum weights of PGL-SUM (with records) and CA-SUM (released-style, no record), both splits."""
    root = tmp_path_factory.mktemp("methods")
    torch.manual_seed(0)
    pgl, ca = method_spec("PGL-SUM").build(PGLSumConfig(heads=2)), method_spec("CA-SUM").build()
    for split in (1, 2):
        save_checkpoint(pgl.state_dict(), root / "pgl" / "TVSum" / f"split{split}.pt")
        (root / "pgl" / "TVSum" / f"split{split}.json").write_text(json.dumps(
            {"dataset": "TVSum", "split": split, "method": "PGL-SUM", "model_options": PGLSumConfig(heads=2).to_options(),
             "selection_rule": "loss-curve"}))
        save_checkpoint(ca.state_dict(), root / "ca" / "TVSum" / f"split{split}.pt")
    return root


def test_save_scores_for_a_method_rebuilt_from_its_records(method_folders, tiny_data_dir, tiny_splits, tmp_path):
    out = tmp_path / "scores.h5"
    code = inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, method_folders / "pgl", None,
                                                              "--save-scores", str(out))))
    assert code == 0
    with h5py.File(out, "r") as saved:
        assert sorted(saved["TVSum"]) == [f"video_{i}" for i in range(1, 7)]
        assert {saved[f"TVSum/video_{i}"].attrs["method"] for i in range(1, 7)} == {"PGL-SUM"}
        assert json.loads(saved["TVSum/video_1"].attrs["model_options"])["heads"] == 2


def test_released_weights_of_another_method_and_contradicting_flags_are_refused(method_folders, tiny_data_dir, tiny_splits, caplog):
    # CA-SUM weights without a record, evaluated as the default CSTA: the error names the method they look like
    assert inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, method_folders / "ca"))) == 2
    assert "These are CA-SUM weights" in caplog.text and "--method CA-SUM" in caplog.text
    assert inference.main(inference.parse_args(inference_args(tiny_data_dir, tiny_splits, method_folders / "ca", None,
                                                              "--method", "CA-SUM"))) == 0
    caplog.clear()
    args = inference.parse_args(inference_args(tiny_data_dir, tiny_splits, method_folders / "pgl", None, "--method", "CA-SUM"))
    assert inference.main(args) == 2
    assert f"--method CA-SUM contradicts the record {method_folders / 'pgl' / 'TVSum' / 'split1.json'}" in caplog.text


def test_compare_prints_one_table_of_several_methods(method_folders, tiny_data_dir, tiny_splits, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    out = tmp_path / "comparison.json"
    argv = ["--dataset", "TVSum", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["TVSum"]),
            "--random-draws", "1", "--method", "CA-SUM", "--json", str(out), "--compare", str(method_folders / "ca")]
    # --method CA-SUM describes the released CA-SUM weights; the PGL-SUM folder's records contradict it
    assert inference.main(inference.parse_args([*argv, str(method_folders / "pgl")])) == 2
    assert "contradicts the record" in caplog.text
    assert inference.main(inference.parse_args(argv)) == 0
    rows = [row["name"] for row in json.loads(out.read_text())["datasets"]["TVSum"]["rows"]]
    assert rows == ["CA-SUM (defaults), here", "CA-SUM, as published", "Random", "Human"]
    assert "| CA-SUM, as published | not stated | not stated | not stated |" in caplog.text
    # METHOD=DIR names the method of a folder of released weights, beside a folder whose records say theirs
    argv = [arg for arg in argv if arg not in ("--method", "CA-SUM")]
    both = [*argv[:-1], f"CA-SUM={method_folders / 'ca'}", str(method_folders / "pgl"), "--overwrite"]  # the earlier table replaced
    assert inference.main(inference.parse_args(both)) == 0
    rows = [row["name"] for row in json.loads(out.read_text())["datasets"]["TVSum"]["rows"]]
    assert rows == ["CA-SUM (defaults), here", "PGL-SUM (heads=2), here", "CA-SUM, as published", "PGL-SUM, as published",
                    "Random", "Human"]
    # SummDiff's knapsack measures: a column each, for every row evaluated here ("not stated" for the published ones)
    table = json.loads(out.read_text())["datasets"]["TVSum"]["rows"]
    assert set(table[0]["knapsack"]) == {"wse", "cis", "wir", "ir"} and table[2]["knapsack"] is None
    assert "| row | F1 (%) | Kendall tau | Spearman rho | WSE | CIS | WIR | IR | selection rule |" in caplog.text
    assert "| CA-SUM, as published | not stated | not stated | not stated | not stated | not stated | not stated | not stated |" in caplog.text


def test_compare_and_save_scores_refuse_what_they_cannot_do(capsys):
    for argv, message in ((["--compare", "a", "--report", "r"], "does not combine with --report"),
                          (["--save-scores", "scores.txt"], "give a name ending in .h5"),
                          (["--method", "PGL-SUM", "--block-size", "30"], "--block-size is an option of CA-SUM, not of PGL-SUM"),
                          (["--method", "DSNet"], "invalid choice: 'DSNet'"),
                          (["--compare", "pgl-sum=released"], "unknown method 'pgl-sum' in 'pgl-sum=released'")):
        with pytest.raises(SystemExit):
            inference.parse_args(argv)
        assert message in capsys.readouterr().err


def test_train_a_method_then_its_record_rebuilds_it(tiny_data_dir, tiny_splits, tmp_path, caplog):
    weights = tmp_path / "weights"
    data = ["--dataset", "TVSum", "--device", "cpu", "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["TVSum"])]
    assert train.main(train.parse_args([*data, "--weights-dir", str(weights), "--method", "PGL-SUM", "--heads", "2", "--segments", "None",
                                        "--epochs", "2", "--videos-per-step", "1", "--select", "last", "--split", "1"])) == 0
    out = tmp_path / "scores.h5"
    # no --method: the record says PGL-SUM with 2 heads and no segments
    assert inference.main(inference.parse_args([*data, "--weights-dir", str(weights), "--split", "1", "--save-scores", str(out)])) == 0
    with h5py.File(out, "r") as saved:
        video = saved["TVSum"][next(iter(saved["TVSum"]))]
        assert video.attrs["method"] == "PGL-SUM" and video.attrs["selection_rule"] == "last"
        assert json.loads(video.attrs["model_options"])["heads"] == 2
    assert inference.main(inference.parse_args([*data, "--weights-dir", str(weights), "--split", "1", "--method", "PGL-SUM",
                                                "--heads", "4"])) == 2
    assert "--heads 4 contradicts the record" in caplog.text and "which says 2" in caplog.text


def test_an_existing_output_is_refused_before_the_evaluation_unless_overwrite(random_weights, tiny_data_dir, tiny_splits, tmp_path,
                                                                              caplog, no_evaluation):
    """The one overwrite rule: --json, --save-scores and the report files are never replaced silently."""
    caplog.set_level("INFO")
    for flag, name in (("--json", "table.json"), ("--save-scores", "scores.h5"), ("--report", "rep")):
        target = tmp_path / name
        existing = target / "report.md" if flag == "--report" else target
        existing.parent.mkdir(parents=True, exist_ok=True)
        existing.write_text("earlier")
        argv = inference_args(tiny_data_dir, tiny_splits, random_weights, None, flag, str(target))
        assert inference.main(inference.parse_args(argv)) == 2
        assert f"{existing} already exists; --overwrite replaces it" in caplog.text and existing.read_text() == "earlier"
    with pytest.raises(AssertionError, match="the evaluation started"):  # with --overwrite the run goes on to the work
        inference.main(inference.parse_args([*argv, "--overwrite"]))
    assert f"writing the results to {tmp_path / 'rep'}" in caplog.text
