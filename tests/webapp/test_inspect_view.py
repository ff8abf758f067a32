"""'Look inside predictions' through gradio's client: the figures score.py computes, per method and
video, the picture of one video, and bad files named in the page."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from gradio_client import handle_file

from builder.score_predictions import score_predictions
from config import DATASETS
from dataset.custom import LabelKind
from dataset.h5 import read_eccv16
from dataset.synthetic import TVSUM_LIKE, write_synthetic_benchmark
from tests.builder.helpers import make_part, write_built


def inspect(client, data, scores, annotations=None):
    return client.predict(handle_file(str(data)), "", [handle_file(str(s)) for s in scores], "",
                          handle_file(str(annotations)) if annotations else None, api_name="/inspect")


def test_the_table_holds_score_pys_figures_for_each_method(client, tmp_path):
    data = write_built(tmp_path / "my.h5", LabelKind.SCORES, [make_part("a.mp4", seed=1), make_part("b.mp4", seed=2)])
    rising, falling = tmp_path / "rising.json", tmp_path / "falling.json"
    rising.write_text(json.dumps({"a.mp4": [0.05 * i for i in range(20)], "b.mp4": [0.1] * 10 + [0.9] * 10}))
    falling.write_text(json.dumps({"a.mp4": [1 - 0.05 * i for i in range(20)]}))
    status, table, choice, picture = inspect(client, data, [rising, falling])
    assert "build_dataset.py" in status and "rising" in status, status
    headers, rows = table["headers"], table["data"]
    assert headers == ["video", "name", "F1 rising", "tau rising", "rho rising", "F1 falling", "tau falling", "rho falling"]
    for label, path, offset in (("rising", rising, 2), ("falling", falling, 5)):
        expected = {row.key: row for row in score_predictions(data, path).rows}
        for row in rows:
            if row[0] in expected:
                want = expected[row[0]]
                assert row[offset:offset + 3] == [round(want.f1, 4), round(want.kendall, 4), round(want.spearman, 4)], label
            else:
                assert row[0] == "video_2" and label == "falling" and all(v is None or math.isnan(v) for v in row[offset:offset + 3])
    assert choice["value"] == "video_1" and [c[0] for c in choice["choices"]] == ["video_1", "video_2"] and Path(picture).stat().st_size > 20_000
    picture = client.predict("video_2", api_name="/show_video")
    assert Path(picture).stat().st_size > 20_000


def test_tvsum_release_layout_with_its_annotations(client, tmp_path):
    folder = tmp_path / "tvsum"
    h5 = write_synthetic_benchmark(DATASETS["TVSum"], folder, replace(TVSUM_LIKE, n_videos=2, n_users=3, min_steps=40, max_steps=60,
                                                                        min_shot_frames=20, max_shot_frames=90))
    videos, _ = read_eccv16(h5)
    scores = tmp_path / "truth.json"
    scores.write_text(json.dumps({key: video.gtscore.tolist() for key, video in videos.items()}))
    status, table, _, _ = inspect(client, h5, [scores], annotations=folder / "ydata-anno.tsv")
    assert "TVSum's protocol" in status, status
    assert all(row[3] > 0.5 for row in table["data"])  # the ground truth against the annotators it came from
    status = inspect(client, h5, [scores])[0]  # uploaded alone: the annotations are not beside it
    assert status.startswith("**error:**") and "ydata-anno.tsv" in status


def test_bad_files_are_named(client, tmp_path):
    data = write_built(tmp_path / "my.h5", LabelKind.SCORES, [make_part("a.mp4")])
    others = tmp_path / "others.json"
    others.write_text(json.dumps({"zebra.mp4": [0.1] * 20}))
    status = inspect(client, data, [others])[0]
    assert status.startswith("**error:**") and "zebra.mp4" in status and "not a video of" in status, status
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(data.read_bytes()[:2048] + np.random.default_rng(0).bytes(4096))
    status = inspect(client, damaged, [others])[0]
    assert status.startswith("**error:**") and "damaged.h5" in status and "Traceback" not in status, status
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"a.mp4": [0.05 * i for i in range(20)]}))
    assert "build_dataset.py" in inspect(client, data, [good])[0]  # still usable
