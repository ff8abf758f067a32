"""A SYNTHETIC data set in exactly VideoXum's layout, for tests, demos and the memory measurement.

    OUT/SYNTHETIC                                  marker (dataset.videoxum reports it)
    OUT/anno/{train,val,test}_videoxum.json        VideoXum's fields, plus "synthetic": true
    OUT/feat/<features>/<video_id>.npz             key "features", float32 [n_frames, dim]

Lengths: each video's duration is drawn from a log-normal with a median of ``median_seconds``,
cut to [min_seconds, max_seconds]. The defaults are an ASSUMPTION standing in for ActivityNet
Captions' durations (849 hours over 20k videos, about 150 s a video; the longest about 755 s); the
real per-video durations are not available here. ``sampled_frames`` = ceil(duration), as in
VideoXum's README example (82.73 s, 83 frames). The annotators' spans are drawn around one centre
per segment (so they agree more than chance), and frame i (the second [i, i + 1)) is in an
annotator's ``vsum_onehot`` when it overlaps one of that annotator's spans; VideoXum's own rule for
turning spans into frames is not published, so this is our convention. A share of the videos
(``off_by_one``) gets one feature frame more or fewer than ``vsum_onehot``, as the real data does.
Features: unit Gaussian noise plus the share of annotators keeping the frame along one direction,
so a model can learn something from them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset.videoxum import FEATURE_DIR, FEATURE_KEY, SYNTHETIC_MARKER, VideoXumSplit
from utils.files import atomic_output, atomic_stream
from utils.progress import progress_bar

# VideoXum's split sizes (README, table 1.1.1).
RELEASE_SPLIT_SIZES = {VideoXumSplit.TRAIN: 8000, VideoXumSplit.VAL: 2001, VideoXumSplit.TEST: 4000}
N_ANNOTATORS = 10


@dataclass(frozen=True)
class SyntheticVideoXumConfig:
    n_videos: int = 30
    features: str = "blip"  # the release's folder name; its features are 768-d
    dim: int = 768
    median_seconds: float = 130.0
    sigma: float = 0.6  # of log(duration)
    min_seconds: float = 10.0
    max_seconds: float = 755.0
    off_by_one: float = 0.05  # share of videos whose features have one frame more or fewer
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_videos < 3:
            raise ValueError(f"need at least 3 videos (one per split), got {self.n_videos}")
        if self.dim < 1 or not 0 <= self.off_by_one <= 1 or not 2 <= self.min_seconds <= self.max_seconds:
            raise ValueError(f"bad synthetic VideoXum settings: {self}")


def split_sizes(n_videos: int) -> dict[VideoXumSplit, int]:
    """VideoXum's 8,000 / 2,001 / 4,000 proportions for ``n_videos`` (exactly those for 14,001), each split >= 1."""
    total = sum(RELEASE_SPLIT_SIZES.values())
    val = max(1, round(n_videos * RELEASE_SPLIT_SIZES[VideoXumSplit.VAL] / total))
    test = max(1, round(n_videos * RELEASE_SPLIT_SIZES[VideoXumSplit.TEST] / total))
    return {VideoXumSplit.TRAIN: n_videos - val - test, VideoXumSplit.VAL: val, VideoXumSplit.TEST: test}


def _annotation(rng: np.random.Generator, video_id: str, cfg: SyntheticVideoXumConfig) -> dict:
    duration = float(np.clip(rng.lognormal(math.log(cfg.median_seconds), cfg.sigma), cfg.min_seconds, cfg.max_seconds))
    duration = round(duration, 2)
    n_frames = math.ceil(duration)
    segments = []
    for _ in range(int(rng.integers(1, 5))):  # events, which may overlap, as in ActivityNet Captions
        start = float(rng.uniform(0, duration * 0.8))
        segments.append([round(start, 2), round(float(rng.uniform(start + 1, duration)), 2)])
    vsum = []
    onehot = np.zeros((N_ANNOTATORS, n_frames), np.uint8)
    frame_starts = np.arange(n_frames)
    for start, end in segments:
        length = end - start
        centre = rng.uniform(start, end)
        spans = []
        for person in range(N_ANNOTATORS):
            half = max(0.5, 0.08 * length * rng.uniform(0.5, 1.5))
            middle = float(np.clip(centre + rng.normal(0, length / 6), start + half, end - half)) if length > 2 * half else (start + end) / 2
            span = [round(max(start, middle - half), 2), round(min(end, middle + half), 2)]
            spans.append(span)
            onehot[person, (frame_starts + 1 > span[0]) & (frame_starts < span[1])] = 1
        vsum.append(spans)
    return {
        "video_id": video_id, "duration": duration, "sampled_frames": n_frames, "timestamps": segments,
        "tsum": [f"SYNTHETIC sentence {k} of {video_id}." for k in range(len(segments))],
        "vsum": vsum, "vsum_onehot": onehot.tolist(), "synthetic": True,
    }


def _features(rng: np.random.Generator, onehot: np.ndarray, cfg: SyntheticVideoXumConfig, direction: np.ndarray) -> np.ndarray:
    n = onehot.shape[1]
    if rng.random() < cfg.off_by_one:
        n += 1 if rng.random() < 0.5 else -1
    n = max(n, 1)
    share = np.zeros(n, np.float32)
    share[:min(n, onehot.shape[1])] = onehot.mean(axis=0)[:n]
    features = rng.standard_normal((n, cfg.dim), dtype=np.float32)
    features += 3 * share[:, None] * direction[None]
    return features


def write_synthetic_videoxum(out: str | Path, cfg: SyntheticVideoXumConfig, progress: bool = True) -> Path:
    """Write the set under ``out`` (every file atomically); returns ``out``. Video ids are v_syn########."""
    out = Path(out)
    rng = np.random.default_rng(cfg.seed)
    direction = rng.standard_normal(cfg.dim).astype(np.float32)
    direction /= np.linalg.norm(direction)
    folder = out / FEATURE_DIR / cfg.features
    folder.mkdir(parents=True, exist_ok=True)
    index = 0
    bar = progress_bar(total=cfg.n_videos, desc="synthetic VideoXum", unit="video", shown=progress, lines=False)
    for split, size in split_sizes(cfg.n_videos).items():
        entries = []
        for _ in range(size):
            video_id = f"v_syn{index:08d}"
            index += 1
            entry = _annotation(rng, video_id, cfg)
            features = _features(rng, np.asarray(entry["vsum_onehot"], np.uint8), cfg, direction)
            with atomic_stream(folder / f"{video_id}.npz") as stream:
                np.savez(stream, **{FEATURE_KEY: features})
            entries.append(entry)
            bar.update()
        with atomic_output(split.annotation_path(out)) as tmp:
            tmp.write_text(json.dumps(entries))
    bar.close()
    with atomic_output(out / SYNTHETIC_MARKER) as tmp:
        tmp.write_text(f"SYNTHETIC VideoXum-layout data written by cli.synthetic_videoxum ({cfg}); not VideoXum.\n")
    return out
