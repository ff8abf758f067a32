"""The scorer against the evaluation computed directly, on the same predictions."""

import json

import numpy as np
import pytest

from builder.score_predictions import score_predictions, score_table
from config import F1Reduction
from dataset.custom import LabelKind
from dataset.h5 import read_eccv16
from evaluation.metrics import f_score, rank_correlation
from evaluation.summary import generate_summary
from tests.builder.helpers import make_part, write_built


def _predictions(tmp_path, videos):
    rng = np.random.default_rng(5)
    scores = {key: rng.random(video.n_steps).tolist() for key, video in videos.items()}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(scores))
    return path, {key: np.asarray(value, dtype=np.float32) for key, value in scores.items()}


@pytest.mark.parametrize("kind", [LabelKind.SCORES, LabelKind.SEGMENTS])
def test_scores_equal_the_protocol_computed_by_hand(tmp_path, kind):
    parts = [make_part("a.mp4", 300, seed=1), make_part("b.mp4", 451, cuts=(40, 180, 300), seed=2)]
    data = write_built(tmp_path / "my.h5", kind, parts)
    videos, _ = read_eccv16(data)
    pred, scores = _predictions(tmp_path, videos)
    report = score_predictions(data, pred)
    import h5py

    with h5py.File(data, "r") as h5:
        for row in report.rows:
            video = videos[row.key]
            summary = generate_summary(scores[row.key], video.change_points, video.n_frames, video.picks)
            if kind is LabelKind.SCORES:
                raw = h5[row.key]["user_scores"][()].astype(np.float64)
                steps = (raw / raw.max(axis=1, keepdims=True))[:, video.picks]
                pairs = [rank_correlation(scores[row.key], person) for person in steps]
                tau, rho = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
                f1 = f_score(summary, video.user_summary, F1Reduction.MEAN)
            else:
                tau, rho = rank_correlation(summary, video.user_summary.mean(axis=0))
                f1 = f_score(summary, video.user_summary, F1Reduction.MAX)
            assert (row.f1, row.kendall, row.spearman) == pytest.approx((f1, tau, rho), nan_ok=True)
    assert report.overall.f1 == pytest.approx(np.mean([r.f1 for r in report.rows]))
    assert report.f1_reduction is kind.f1_reduction and report.missing == []


def test_f1_choice_missing_videos_and_the_stand_in_label(tmp_path):
    parts = [make_part("a.mp4", 300), make_part("b.mp4", 240, cuts=(30, 120))]
    data = write_built(tmp_path / "my.h5", LabelKind.SEGMENTS, parts, origin="stand-in")
    pred = tmp_path / "p.json"
    pred.write_text(json.dumps({"b.mp4": np.linspace(1, 0, 16).tolist()}))
    report = score_predictions(data, pred, F1Reduction.MEAN)
    assert report.f1_reduction is F1Reduction.MEAN and [r.key for r in report.rows] == ["video_2"]
    assert report.missing == ["video_1"]
    table = score_table(report)
    assert "F1: mean over annotators" in table and "STAND-IN backbone" in table
    assert "without predictions (1, not scored): video_1 (a.mp4)" in table
    record = report.as_dict()
    assert record["without_predictions"] == [{"key": "video_1", "video_name": "a.mp4"}]
    assert record["videos"][0]["video_name"] == "b.mp4" and record["f1_over_annotators"] == "mean"


def test_the_mean_over_splits_of_a_save_scores_file_and_the_json_that_cannot_give_it(tmp_path):
    import h5py

    from builder.errors import PredictionError
    from evaluation.means import MeanOver

    parts = [make_part(f"{name}.mp4", 300, seed=seed) for seed, name in enumerate("abc", 1)]
    data = write_built(tmp_path / "my.h5", LabelKind.SCORES, parts)
    videos, _ = read_eccv16(data)
    json_path, scores = _predictions(tmp_path, videos)
    saved = tmp_path / "scores.h5"
    with h5py.File(saved, "w") as h5:  # the --save-scores layout: /<dataset>/<video>/step_scores, its split as an attribute
        for key, split in zip(sorted(scores), (1, 1, 2), strict=True):
            group = h5.create_group(f"my/{key}")
            group.create_dataset("step_scores", data=scores[key])
            group.attrs["split"] = split
    by_videos = score_predictions(data, saved)
    by_splits = score_predictions(data, saved, mean_rule=MeanOver.SPLITS)
    f1 = {row.key: row.f1 for row in by_videos.rows}
    assert by_videos.overall.f1 == pytest.approx(np.mean(list(f1.values())))
    assert by_splits.overall.f1 == pytest.approx(np.mean([(f1["video_1"] + f1["video_2"]) / 2, f1["video_3"]]))
    assert by_splits.rows == by_videos.rows
    assert by_splits.as_dict()["overall"]["mean_over"] == "splits" and by_videos.as_dict()["overall"]["mean_over"] == "videos"
    assert "mean over 2 split(s)" in score_table(by_splits) and "--mean videos gives" in score_table(by_splits)
    assert "mean over the 3 test video(s) of 2 split(s); --mean splits gives" in score_table(by_videos)
    with pytest.raises(PredictionError, match="JSON file of scores says no splits"):
        score_predictions(data, json_path, mean_rule=MeanOver.SPLITS)
