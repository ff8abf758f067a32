"""Hand-made videos for the builder's tests: parts with known shots, written into built files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from builder.h5_layout import DatasetEntry, write_dataset
from builder.kept_parts import VideoPart
from builder.labels import ScoreLabels, SegmentLabels
from builder.targets import VideoFacts, label_targets
from config import Backbone
from dataset.custom import BACKBONE_NETWORK_ATTR, BACKBONE_ORIGIN_ATTR, FEATURE_DIM_ATTR, LabelKind


def make_part(name: str, n_frames: int = 300, stride: int = 15, fps: float = 30.0, cuts: tuple[int, ...] = (30, 140, 200),
              seed: int = 0, width: int = 1024) -> VideoPart:
    rng = np.random.default_rng(seed)
    picks = np.arange(0, n_frames, stride)
    bounds = [0, *cuts, n_frames]
    change_points = np.array([[a, b - 1] for a, b in zip(bounds, bounds[1:], strict=False)])
    return VideoPart(source=name, features=rng.random((len(picks), width), dtype=np.float32), picks=picks, n_frames=n_frames,
                     fps=fps, change_points=change_points, times=np.arange(n_frames) / fps, seconds={})


def facts(part: VideoPart) -> VideoFacts:
    return VideoFacts(part.n_frames, part.times, part.picks, part.change_points)


def score_labels(part: VideoPart, users: int = 3, seed: int = 1) -> ScoreLabels:
    rng = np.random.default_rng(seed)
    return ScoreLabels(rng.integers(1, 6, size=(users, part.n_frames)).astype(np.float64))


def segment_labels() -> SegmentLabels:
    return SegmentLabels({"a": [(0.0, 1.0), (4.0, 5.0)], "b": [(2.0, 3.0), (2.5, 4.0)], "c": [(6.0, 7.5)]})


def write_built(path: Path, kind: LabelKind, parts: list[VideoPart], origin: str = "imagenet",
                network: Backbone = Backbone.GOOGLENET) -> Path:
    """A built file as build_dataset.py writes it, from hand-made parts (features of ``network``'s width) and labels."""
    entries = []
    for index, part in enumerate(parts):
        labels = None
        if kind is LabelKind.SCORES:
            labels = score_labels(part, seed=index + 1)
        elif kind is LabelKind.SEGMENTS:
            labels = segment_labels()
        entries.append(DatasetEntry(part, None if labels is None else label_targets(labels, facts(part), "test")))
    write_dataset(path, entries, kind, {BACKBONE_ORIGIN_ATTR: origin, BACKBONE_NETWORK_ATTR: network.value, FEATURE_DIM_ATTR: network.width})
    return path
