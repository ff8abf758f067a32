import math
from pathlib import Path

import numpy as np

from engine.reports.plots import plot_ablation, plot_training_curve, plot_video_scores

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_video_plot_is_a_png_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "plots" / "video_1.png"
    written = plot_video_scores(path, "video_1", np.array([0, 15, 30, 45]), np.array([0.1, 0.9, 0.5, 0.2]),
                                np.array([0.0, 1.0, 0.5, 0.5]), np.array([[0, 4], [5, 19], [20, 59]]), [0, 1])
    assert written == path and path.read_bytes().startswith(PNG_MAGIC)
    assert [p.name for p in path.parent.iterdir()] == ["video_1.png"]


def test_training_curve_accepts_nan_epochs(tmp_path):
    path = tmp_path / "split1_curve.png"
    plot_training_curve(path, "split 1", [1, 2, 3], [0.3, 0.2, 0.1], [math.nan, 0.1, 0.2], [math.nan, 0.15, 0.25], kept_epoch=3)
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_ablation_chart_is_a_png(tmp_path):
    bars = {"SumMe": [("CSTA", 0.25, 0.01, 0.3, 0.02), ("no CLS", 0.2, 0.0, 0.22, 0.0)], "TVSum": [("CSTA", 0.19, 0.0, 0.25, 0.0)]}
    path = plot_ablation(tmp_path / "a.png", "ablation", bars)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_video_plot_warns_in_red_when_the_model_is_useless(tmp_path):
    from PIL import Image

    args = (np.array([0, 15, 30, 45]), np.full(4, 1e-22), np.array([0.0, 1.0, 0.5, 0.5]), np.array([[0, 4], [5, 19], [20, 59]]), [0])
    plot_video_scores(tmp_path / "plain.png", "video_1", *args)
    plot_video_scores(tmp_path / "warned.png", "video_1", *args, warnings=["the sigmoid is saturated"])
    with Image.open(tmp_path / "plain.png") as plain, Image.open(tmp_path / "warned.png") as warned:
        assert warned.size[1] > plain.size[1]


def test_the_report_plots_of_saturated_scores_carry_the_finding(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from engine.reports import tables

    drawn = {}
    monkeypatch.setattr(tables, "plot_video_scores", lambda path, title, *args: drawn.setdefault(title, args[-1]) and Path(path))
    video = SimpleNamespace(key="video_1", picks=np.array([0, 15, 30, 45]), gtscore=np.array([0.0, 1.0, 0.5, 0.5]),
                            change_points=np.array([[0, 4], [5, 19], [20, 59]]), n_frames=60)
    benchmark = SimpleNamespace(synthetic=False, spec=SimpleNamespace(name="clips"), videos={"video_1": video})
    split = SimpleNamespace(split=1, scores={"video_1": np.full(4, 1e-22)}, record={"warnings": [{"code": "frozen-metrics",
                                                                                              "message": "frozen"}]},
                            videos=[SimpleNamespace(key="video_1", f1=0.0, kendall=0.0, spearman=0.0)])
    tables.write_video_plots(tmp_path, benchmark, SimpleNamespace(splits=[split], seed=None))
    (warnings,) = drawn.values()
    assert warnings[0] == "frozen" and "sigmoid is saturated" in warnings[1]
