"""inference.py --save-scores (engine/evaluate/saved_scores.py): the layout, the attributes and the atomic write."""

import errno
import json

import h5py
import numpy as np
import pytest

import engine.evaluate.saved_scores as score_file
from config import DATASETS, CASumConfig
from dataset import load_benchmark
from engine.evaluate.saved_scores import write_score_file
from engine.evaluate.weights_evaluation import DatasetEvaluation, SplitEvaluation
from evaluation.protocol import MeanMetrics, VideoMetrics
from evaluation.summary import generate_summary
from models.method_choice import ModelChoice
from models.methods import EpochRule
from utils.files import OutputError


@pytest.fixture(scope="module")
def summe(tiny_data_dir):
    return load_benchmark(DATASETS["SumMe"], tiny_data_dir)


def _run(benchmark, tests: dict[int, list[str]], seed=None) -> DatasetEvaluation:
    """Made-up scores for the test videos of each split, scored as a CA-SUM chosen by its minimum loss."""
    rng = np.random.default_rng(seed or 0)
    splits = []
    for number, keys in tests.items():
        scores = {key: rng.random(benchmark.videos[key].n_steps).astype(np.float32) for key in keys}
        splits.append(SplitEvaluation(number, benchmark.h5_path.parent / f"split{number}.pt", MeanMetrics(1.0, 0.1, 0.1),
                                      [VideoMetrics(key, 1.0, 0.1, 0.1) for key in keys], None, None, scores, None,
                                      ModelChoice("CA-SUM", CASumConfig(block_size=30)), EpochRule.MIN_LOSS))
    return DatasetEvaluation("SumMe", benchmark.h5_path, True, splits, seed)


def test_one_group_per_dataset_and_video(tmp_path, summe):
    run = _run(summe, {1: ["video_1", "video_2"], 2: ["video_3"]})
    path = tmp_path / "scores.h5"
    write_score_file(path, [(summe, [run])], "python inference.py --save-scores scores.h5")
    with h5py.File(path, "r") as saved:
        assert saved.attrs["format"] == "csta-scores/1" and "--save-scores" in saved.attrs["command"]
        assert sorted(saved["SumMe"]) == ["video_1", "video_2", "video_3"] and saved["SumMe"].attrs["layout"] == "video"
        video = summe.videos["video_3"]
        group = saved["SumMe/video_3"]
        scores = group["step_scores"][()]
        assert scores.dtype == np.float32 and scores.shape == (video.n_steps,)
        assert np.array_equal(scores, run.splits[1].scores["video_3"])
        summary = group["machine_summary"][()]
        assert summary.shape == (video.n_frames,) and set(np.unique(summary)) <= {0, 1}
        assert np.array_equal(summary, generate_summary(scores, video.change_points, video.n_frames, video.picks))
        assert group.attrs["split"] == 2 and group.attrs["method"] == "CA-SUM" and group.attrs["selection_rule"] == "min-loss"
        assert json.loads(group.attrs["model_options"])["block_size"] == 30


def test_videos_tested_in_several_splits_or_seeds_keep_every_prediction(tmp_path, summe):
    # PGL-SUM's random splits test some videos more than once
    runs = [_run(summe, {1: ["video_1", "video_2"], 2: ["video_2"]}, seed=seed) for seed in (3, 4)]
    path = tmp_path / "scores.h5"
    write_score_file(path, [(summe, runs)], "cmd")
    with h5py.File(path, "r") as saved:
        assert saved["SumMe"].attrs["layout"] == "split/video"
        assert sorted(saved["SumMe"]) == ["seed3", "seed4"]
        assert sorted(saved["SumMe/seed4/split1"]) == ["video_1", "video_2"] and sorted(saved["SumMe/seed4/split2"]) == ["video_2"]
        assert saved["SumMe/seed4/split2/video_2"].attrs["seed"] == 4
        assert np.array_equal(saved["SumMe/seed3/split2/video_2/step_scores"][()], runs[0].splits[1].scores["video_2"])


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path, summe, monkeypatch):
    path = tmp_path / "scores.h5"
    path.write_bytes(b"previous scores")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(score_file, "generate_summary", disk_full)  # fails after the file was opened and partly written
    with pytest.raises(OutputError, match="scores.h5"):
        write_score_file(path, [(summe, [_run(summe, {1: ["video_1"]})])], "cmd")
    assert path.read_bytes() == b"previous scores"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.h5"]
