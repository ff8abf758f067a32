"""bench/bench_baselines_vs_official.py without the official code: its argument checks, its child process's
import path (their modules, never ours of the same name) and its summary of score differences."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from tests.bench.script import load_bench_script


def _bench_module():
    return load_bench_script("bench_baselines_vs_official")


def _fake_checkout(folder: Path) -> Path:
    """The files the bench needs, as stand-ins: F1 is a mark read from THEIR utils module (this project has a utils package too)."""
    (folder / "model" / "layers").mkdir(parents=True)
    (folder / "evaluation").mkdir()
    (folder / "model" / "layers" / "summarizer.py").write_text("")
    (folder / "model" / "utils.py").write_text("MARK = 42.5\n")
    (folder / "evaluation" / "generate_summary.py").write_text(
        "import numpy as np\n\ndef generate_summary(bounds, scores, n_frames, positions):\n"
        "    return [(np.asarray(scores[0]) > 0.5).astype(np.int8)]\n")
    (folder / "evaluation" / "evaluation_metrics.py").write_text(
        "import utils\n\ndef evaluate_summary(summary, user_summary, method):\n"
        "    return utils.MARK + (1000 if method == 'avg' else 0)\n")
    return folder


def test_refuses_a_folder_that_is_not_a_checkout(tmp_path, capsys):
    bench = _bench_module()
    with pytest.raises(SystemExit):
        bench.parse_args(["--pgl-sum", str(tmp_path), "--ca-sum", str(tmp_path)])
    assert "not a checkout of the official code" in capsys.readouterr().err


def test_the_child_imports_their_modules_and_not_ours(tmp_path):
    bench = _bench_module()
    official = _fake_checkout(tmp_path / "official")
    with h5py.File(tmp_path / "data.h5", "w") as file:
        video = file.create_group("video_1")
        video["user_summary"] = np.ones((2, 4))
        video["change_points"] = np.array([[0, 3]])
        video["n_frames"] = 4
        video["picks"] = np.array([0, 2])
    torch.save({"video_1": torch.tensor([0.2, 0.9, 0.7, 0.1])}, tmp_path / "scores.pt")
    runner = bench.Bench(tmp_path, {"pgl-sum": official}, threads=1)
    task = {"kind": "f1", "name": "case", "scores": str(tmp_path / "scores.pt"), "h5": str(tmp_path / "data.h5"), "eval": "avg"}
    result = runner.child("pgl-sum", [task], "probe")["case"]
    assert result["f1"] == {"video_1": 1042.5}  # their utils.MARK, and the reduction passed through
    assert result["summaries"]["video_1"].tolist() == [0, 1, 1, 0]


def test_score_differences_are_summarised_with_the_failures_by_length():
    bench = _bench_module()
    ours = {"video_1 T=3": np.array([0.1, 0.2, 0.3], dtype=np.float32), "video_1[:1]": np.array([0.5], dtype=np.float32),
            "video_1[:2]": np.array([0.5, 0.4], dtype=np.float32), "video_2 T=2": np.array([0.3, 0.3], dtype=np.float32)}
    theirs = {"video_1 T=3": torch.tensor([0.1, 0.25, 0.3]), "video_1[:1]": "IndexError: tensors used as indices",
              "video_1[:2]": torch.tensor([float("nan"), 0.4]), "video_2 T=2": torch.tensor([0.3, 0.3])}
    result = bench.compare_scores(ours, theirs)
    assert result["max"] == pytest.approx(0.05) and result["at"] == "video_1 T=3"
    assert result["compared"] == 2
    assert result["others"] == ["theirs raise IndexError, ours finite at T = 1", "theirs NaN, ours finite at T = 2"]
