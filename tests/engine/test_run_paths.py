"""Where the scripts read and write (engine/run_paths.py)."""

from pathlib import Path

import pytest

from dataset.splits import Split
from engine.run_paths import report_outputs, run_checkpoint_path, training_outputs, weights_path_for, weights_to_evaluate

SPLITS = [Split(1, ("a",), ("b",)), Split(2, ("b",), ("a",))]


def test_paths_of_a_training_run():
    assert weights_path_for(Path("w"), "SumMe", 3) == Path("w/SumMe/split3.pt")
    assert weights_path_for(Path("w"), "SumMe", 3, seed=7) == Path("w/SumMe/seed7/split3.pt")
    assert training_outputs(Path("w/SumMe/split3.pt")) == [Path("w/SumMe/split3.pt"), Path("w/SumMe/split3.json"),
                                                           Path("w/SumMe/split3_curve.png"),
                                                           Path("w/SumMe/split3.run/checkpoint.pt")]
    assert run_checkpoint_path(Path("w/SumMe/split3.pt"), 0.5) == Path("w/SumMe/split3.run/sigma0.5.pt")  # CA-SUM: one per sigma


def test_paths_of_a_report():
    assert report_outputs(Path("r"), [("TVSum", None, 1, ["v1", "v2"]), ("TVSum", 4, 2, ["v3"])]) == [
        Path("r/report.json"), Path("r/report.md"), Path("r/plots/TVSum/split1/v1.png"), Path("r/plots/TVSum/split1/v2.png"),
        Path("r/plots/TVSum/seed4/split2/v3.png")]


def test_weights_to_evaluate_skips_missing_files_unless_all_are_required(tmp_path):
    (tmp_path / "SumMe").mkdir()
    (tmp_path / "SumMe" / "split2.pt").write_bytes(b"x")
    assert [split.number for split, _ in weights_to_evaluate(tmp_path, "SumMe", SPLITS, require_all=False)] == [2]
    with pytest.raises(FileNotFoundError, match=r"weights file\(s\) not found: .*split1.pt"):
        weights_to_evaluate(tmp_path, "SumMe", SPLITS, require_all=True)
    with pytest.raises(FileNotFoundError, match="seed3/split1.pt"):
        weights_to_evaluate(tmp_path, "SumMe", SPLITS, require_all=False, seed=3)  # none present
