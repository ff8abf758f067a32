from dataclasses import replace

import pytest

from config import DATASETS
from dataset import load_benchmark
from dataset.synthetic import SUMME_LIKE, TVSUM_LIKE, SyntheticConfig, write_synthetic_benchmark

# Near the limits: the shortest videos the configuration allows, shots as long as the budget permits, few users.
EDGE = {"n_videos": 12, "min_steps": 12, "max_steps": 16, "min_shot_frames": 15, "max_shot_frames": 120}


@pytest.mark.parametrize("name", ["SumMe", "TVSum"])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_users", [1, 2])
def test_every_synthetic_video_passes_the_loaders_checks(tmp_path, name, seed, n_users):
    """Short videos with long shots and one or two users would often be unscorable; none is written."""
    spec = DATASETS[name]
    base = TVSUM_LIKE if spec.needs_annotation_file else SUMME_LIKE
    write_synthetic_benchmark(spec, tmp_path, replace(base, seed=seed, n_users=n_users, **EDGE))
    assert len(load_benchmark(spec, tmp_path).videos) == EDGE["n_videos"]


@pytest.mark.parametrize("changes, message", [
    ({"min_steps": 5, "max_steps": 10}, "summary budget of 9 frames, shorter than the shortest shot"),
    ({"n_users": 0}, "n_users must be at least 1"),
    ({"min_steps": 30, "max_steps": 20}, "min_steps <= max_steps"),
    ({"seed": -1}, "seed must lie in"),
])
def test_configurations_that_cannot_be_scored_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        replace(SUMME_LIKE, **changes)


def test_defaults_are_valid():
    assert SyntheticConfig() == SUMME_LIKE
