import math

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
