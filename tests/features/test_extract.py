"""Feature extraction at 1 fps on generated clips: the frames on screen at each second, the
generate_video embedder's features for them, resumable, one bad video not stopping the rest."""

from pathlib import Path

import numpy as np
import pytest
import torch

from dataset.videoxum import load_features
from features.embedder import BackboneSource, load_frame_embedder
from features.extract import (
    ExtractConfig,
    ExtractionError,
    extract_one,
    extract_videos,
    frames_at_rate,
    local_runner,
    plan_jobs,
)
from video.reader import iter_frames
from video.synthetic import write_demo_video

FPS = 10.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    """Two silent 10 fps clips: 2.5 s (3 samples at 1 fps) and 1.2 s (2 samples)."""
    folder = tmp_path_factory.mktemp("videos")
    paths = [folder / "v_first.mp4", folder / "v_second.mp4"]
    write_demo_video(paths[0], scenes=2, seconds_per_scene=[1.5, 1.0], fps=FPS, size=(64, 48), audio=False)
    write_demo_video(paths[1], scenes=1, seconds_per_scene=1.2, fps=FPS, size=(64, 48), audio=False, seed=1)
    return paths


@pytest.fixture(scope="module")
def embedder():
    embedder = load_frame_embedder(BackboneSource.RANDOM, torch.device("cpu"))
    embedder.match_reference_exactly(False)
    return embedder


CFG = ExtractConfig(fps=1.0, batch_size=2, progress=False)


def test_samples_are_the_frames_on_screen_at_each_second(clips):
    frames = list(iter_frames(clips[0]))
    samples = list(frames_at_rate(clips[0], 1.0))
    assert [t for t, _ in samples] == [0.0, 1.0, 2.0]  # ceil(2.5 s x 1 fps)
    for (_, rgb), index in zip(samples, (0, 10, 20), strict=True):
        np.testing.assert_array_equal(rgb, frames[index])
    assert len(list(frames_at_rate(clips[1], 1.0))) == 2
    assert len(list(frames_at_rate(clips[1], 4.0))) == 5  # ceil(1.2 x 4)


def test_features_equal_the_generate_video_embedder_s(clips, embedder, tmp_path):
    summary = extract_videos(clips, tmp_path, CFG, local_runner(embedder))
    assert summary.done == ["v_first", "v_second"] and not summary.failed
    frames = [rgb for _, rgb in frames_at_rate(clips[0], 1.0)]
    expected = embedder.embed([embedder.preprocess(f) for f in frames])
    features = load_features(tmp_path / "v_first.npz", "v_first")
    assert features.shape == (3, 1024)
    np.testing.assert_allclose(features, expected, atol=1e-6)


def test_a_killed_run_resumes_with_the_missing_videos(clips, embedder, tmp_path):
    def killed_after_one(jobs, cfg):
        yield extract_one(jobs[0], embedder, cfg)
        raise KeyboardInterrupt  # the run stops before the second video

    with pytest.raises(KeyboardInterrupt):
        extract_videos(clips, tmp_path, CFG, killed_after_one)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v_first.npz"]
    before = (tmp_path / "v_first.npz").stat().st_mtime_ns
    summary = extract_videos(clips, tmp_path, CFG, local_runner(embedder))
    assert summary.skipped == ["v_first"] and summary.done == ["v_second"]
    assert (tmp_path / "v_first.npz").stat().st_mtime_ns == before  # not rewritten


def test_a_bad_video_is_reported_and_the_others_go_on(clips, embedder, tmp_path):
    bad = tmp_path / "in" / "v_bad.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"not a video")
    summary = extract_videos([bad, clips[1]], tmp_path / "out", CFG, local_runner(embedder))
    assert summary.done == ["v_second"] and "v_bad.mp4" in summary.failed["v_bad"]
    assert not (tmp_path / "out" / "v_bad.npz").exists()


def test_two_videos_with_one_id_are_refused(tmp_path):
    with pytest.raises(ExtractionError, match="v_a.npz"):
        plan_jobs([tmp_path / "a" / "v_a.mp4", tmp_path / "b" / "v_a.mkv"], tmp_path)


def test_bad_settings():
    with pytest.raises(ValueError):
        ExtractConfig(fps=0)


def test_the_ray_runner_starts_no_ray_when_every_video_is_done(clips, embedder, tmp_path):
    from features.extract import ray_runner
    from utils.cluster import PoolConfig

    extract_videos(clips, tmp_path, CFG, local_runner(embedder))

    def never_loaded():
        raise AssertionError("no worker should be started")

    summary = extract_videos(clips, tmp_path, CFG, ray_runner(never_loaded, PoolConfig(address="unused:1")))
    assert summary.skipped == ["v_first", "v_second"] and not summary.done and not summary.failed
