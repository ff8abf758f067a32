"""Shared fixtures: tiny synthetic benchmarks in the eccv16 layout, and an offline torch hub."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from config import DATASETS
from dataset.synthetic import SUMME_LIKE, TVSUM_LIKE, write_synthetic_benchmark

ROOT = Path(__file__).resolve().parents[1]

SHARED_ANNOTATIONS = ROOT.parent / "shared" / "data" / "ydata-anno.tsv"

# Long enough that training is not dominated by the trunk seeing only one or two rows.
TINY = {"min_steps": 60, "max_steps": 100, "min_shot_frames": 20, "max_shot_frames": 90}


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    """A folder with a SumMe-like file (8 videos) and a TVSum-like file with annotations (6 videos)."""
    folder = tmp_path_factory.mktemp("tiny_data")
    write_synthetic_benchmark(DATASETS["SumMe"], folder, replace(SUMME_LIKE, n_videos=8, n_users=5, **TINY))
    write_synthetic_benchmark(DATASETS["TVSum"], folder, replace(TVSUM_LIKE, n_videos=6, n_users=4, **TINY))
    return folder


@pytest.fixture(scope="session")
def tiny_splits(tmp_path_factory) -> dict[str, Path]:
    """Two-fold splits for the tiny files, in the project's own format."""
    folder = tmp_path_factory.mktemp("tiny_splits")
    paths = {}
    for name, n in (("SumMe", 8), ("TVSum", 6)):
        keys = [f"video_{i}" for i in range(1, n + 1)]
        half = n // 2
        splits = [{"train": keys[half:], "test": keys[:half]}, {"train": keys[:half], "test": keys[half:]}]
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps({"format": "csta-splits/1", "dataset": name, "splits": splits}))
    return paths


@pytest.fixture(scope="session")
def stand_in_files(tmp_path_factory) -> Path:
    """A torch home holding the stand-in ImageNet GoogLeNet file, written once per test session."""
    from models.stand_in import write_stand_in_imagenet_weights

    home = tmp_path_factory.mktemp("stand_in_torch_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        write_stand_in_imagenet_weights()
    return home


@pytest.fixture
def stand_in_torch_home(stand_in_files, tmp_path, monkeypatch) -> Path:
    """TORCH_HOME pointing at a fresh folder holding a stand-in ImageNet GoogLeNet file."""
    home = tmp_path / "torch_home"
    shutil.copytree(stand_in_files, home)
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


@pytest.fixture
def offline_empty_torch_home(tmp_path, monkeypatch) -> Path:
    """TORCH_HOME with no cached weights, and downloads failing as they do without a network."""
    import urllib.error

    import torch.hub

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network (test)")

    home = tmp_path / "empty_torch_home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return home


@pytest.fixture(scope="session")
def videoxum_dir(tmp_path_factory) -> Path:
    """A tiny SYNTHETIC set in VideoXum's layout: 5 train / 1 val / 2 test videos of 6-12 s, 32-d 'tiny' features."""
    from dataset.videoxum_synthetic import SyntheticVideoXumConfig, write_synthetic_videoxum

    cfg = SyntheticVideoXumConfig(n_videos=8, features="tiny", dim=32, median_seconds=8, min_seconds=6, max_seconds=12)
    return write_synthetic_videoxum(tmp_path_factory.mktemp("videoxum") / "vx", cfg, progress=False)


@pytest.fixture(scope="session")
def videoxum_trained(videoxum_dir, tmp_path_factory) -> tuple[Path, int]:
    """train.py --dataset VideoXum, PGL-SUM (fast on a CPU) for 2 epochs with CSTA's rule on validation, one worker:
    the weights folder and the exit code."""
    import train

    weights = tmp_path_factory.mktemp("videoxum_weights")
    code = train.main(train.parse_args(["--dataset", "VideoXum", "--data-dir", str(videoxum_dir), "--features", "tiny", "--epochs", "2",
                                        "--method", "PGL-SUM", "--select", "validation", "--device", "cpu", "--workers", "1", "--weights-dir", str(weights)]))
    return weights, code


@pytest.fixture(scope="module")
def local_ray():
    """A real local Ray of 2 CPUs for one test module (every --ray launcher's tests), stopped after it."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def stop_in_epoch(monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    """Training stops as Ctrl-C stops it (KeyboardInterrupt) when epoch ``epoch`` starts: engine.train.loop's
    train_epoch raises on its ``epoch``-th call and trains as usual before (monkeypatch.undo() lets it train again)."""
    from engine.train import loop  # noqa: PLC0415 - torch, for the tests that train

    original, calls = loop.train_epoch, {"n": 0}

    def stopping(*args):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(loop, "train_epoch", stopping)

