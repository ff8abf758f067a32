"""A small synthetic benchmark in exactly the eccv16 layout, for tests and the demo.

Real SumMe/TVSum files cannot be shipped. These files have the same groups, keys, dtypes and
shapes, and a signal a model can learn: each shot has a hidden content vector, the step features
are that vector plus noise, and the shot's importance is a fixed (shared by every video) linear
read-out of the content. Annotators see the importance with their own noise. The h5 file's root
attribute ``synthetic`` is set so that every number computed from it is labelled synthetic.

Run ``python -m cli.synthetic_data --help``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from config import FRAME_SAMPLE_RATE, SUMMARY_RATIO, TVSUM_ANNOTATION_FILE, DatasetSpec
from dataset.h5 import FEATURE_DIM, SYNTHETIC_ATTR
from dataset.scorable import budget_problem, constant_rows, summary_budget_frames, user_summary_problem
from utils import atomic_output


def _n_frames(n_steps: int, frames_after_last_pick: int) -> int:
    return (n_steps - 1) * FRAME_SAMPLE_RATE + frames_after_last_pick


@dataclass(frozen=True)
class SyntheticConfig:
    """Shape of a synthetic benchmark; defaults are SumMe-like."""

    n_videos: int = 25
    min_steps: int = 100
    max_steps: int = 700
    n_users: int = 15
    min_shot_frames: int = 30
    max_shot_frames: int = 240
    feature_noise: float = 0.5  # relative to the shot content's scale
    annotator_noise: float = 0.15
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_videos", "n_users", "min_steps", "min_shot_frames"):
            if getattr(self, name) < 1:
                raise ValueError(f"synthetic data: {name} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.seed < 2**64:
            raise ValueError(f"synthetic data: the seed must lie in [0, 2**64), got {self.seed}")
        if self.min_steps > self.max_steps or self.min_shot_frames > self.max_shot_frames:
            raise ValueError(f"synthetic data: min_steps <= max_steps and min_shot_frames <= max_shot_frames are needed, got {self}")
        shortest_budget = summary_budget_frames(_n_frames(self.min_steps, 1))
        if self.min_shot_frames > shortest_budget:
            raise ValueError(
                f"synthetic data: a video of {self.min_steps} steps has a summary budget of {shortest_budget} frames, shorter than "
                f"the shortest shot ({self.min_shot_frames} frames), so its summaries could only be empty; "
                "raise min_steps or lower min_shot_frames"
            )


# Draws of one video before giving up on a configuration whose videos are almost never scorable.
MAX_DRAWS = 100

SUMME_LIKE = SyntheticConfig()
TVSUM_LIKE = SyntheticConfig(n_videos=50, n_users=20, seed=1)


def _shot_bounds(n_frames: int, cfg: SyntheticConfig, rng: np.random.Generator) -> np.ndarray:
    starts = [0]
    while True:
        nxt = starts[-1] + int(rng.integers(cfg.min_shot_frames, cfg.max_shot_frames + 1))
        if nxt >= n_frames:
            break
        starts.append(nxt)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.append(starts[1:] - 1, n_frames - 1)
    return np.stack([starts, ends], axis=1)


def _greedy_user_summary(shot_importance: np.ndarray, change_points: np.ndarray, n_frames: int) -> np.ndarray:
    """A user picks their favourite shots until 15% of the video is used (people do not run knapsacks)."""
    budget = int(n_frames * SUMMARY_RATIO)
    summary = np.zeros(n_frames, dtype=np.uint8)
    used = 0
    for shot in np.argsort(-shot_importance):
        first, last = change_points[shot]
        if used + last - first + 1 <= budget:
            summary[first:last + 1] = 1
            used += last - first + 1
    return summary


def _draw_video(index: int, readout: np.ndarray, cfg: SyntheticConfig, rng: np.random.Generator, with_frame_scores: bool) -> dict:
    n_steps = int(rng.integers(cfg.min_steps, cfg.max_steps + 1))
    n_frames = _n_frames(n_steps, int(rng.integers(1, FRAME_SAMPLE_RATE + 1)))
    picks = np.arange(0, n_frames, FRAME_SAMPLE_RATE, dtype=np.int64)
    change_points = _shot_bounds(n_frames, cfg, rng)
    content = rng.standard_normal((len(change_points), FEATURE_DIM)).astype(np.float32)
    importance = 1 / (1 + np.exp(-2.0 * content @ readout))  # in (0, 1), shared rule across videos

    shot_of_frame = np.repeat(np.arange(len(change_points)), change_points[:, 1] - change_points[:, 0] + 1)
    shot_of_step = shot_of_frame[picks]
    noise = cfg.feature_noise * rng.standard_normal((n_steps, FEATURE_DIM)).astype(np.float32)
    # Pool5 features are non-negative and small; keep that look without hiding the signal.
    features = np.maximum(0.0, 0.4 + 0.2 * (content[shot_of_step] + noise)).astype(np.float32)

    users = importance[None, :] + cfg.annotator_noise * rng.standard_normal((cfg.n_users, len(change_points)))
    user_summary = np.stack([_greedy_user_summary(u, change_points, n_frames) for u in users])
    gtscore = np.clip(users.mean(axis=0), 0, 1)[shot_of_step]
    gtscore = (gtscore - gtscore.min()) / max(gtscore.max() - gtscore.min(), 1e-6)
    record = {
        "features": features,
        "gtscore": gtscore.astype(np.float32),
        "user_summary": user_summary,
        "change_points": change_points.astype(np.int32),
        "n_frame_per_seg": (change_points[:, 1] - change_points[:, 0] + 1).astype(np.int32),
        "n_frames": np.int32(n_frames),
        "picks": picks.astype(np.int32),
        "n_steps": np.int32(n_steps),
        "gtsummary": (user_summary.mean(axis=0)[picks] >= 0.5).astype(np.float32),
        "video_name": f"synthetic_{index:03d}",
    }
    if with_frame_scores:
        # TVSum annotators rate every frame 1..5; quantise each annotator's noisy importance.
        record["frame_scores"] = np.clip(np.rint(1 + 4 * np.clip(users, 0, 1)), 1, 5).astype(int)[:, shot_of_frame]
    return record


def _unscorable(record: dict) -> str | None:
    """What would make the loader refuse this video (the loader's own checks), or None."""
    problem = budget_problem(record["change_points"], int(record["n_frames"])) or user_summary_problem(record["user_summary"])
    if problem is None and "frame_scores" in record and constant_rows(record["frame_scores"][:, record["picks"]]):
        problem = "an annotator gives the same score at every feature step"
    return problem


def _video(index: int, readout: np.ndarray, cfg: SyntheticConfig, rng: np.random.Generator, with_frame_scores: bool) -> dict:
    """One video that the loader accepts: drawn again while its scores would be undefined (NaN)."""
    for _ in range(MAX_DRAWS):
        record = _draw_video(index, readout, cfg, rng, with_frame_scores)
        problem = _unscorable(record)
        if problem is None:
            return record
    raise ValueError(f"synthetic data: {MAX_DRAWS} draws of video {index} could not be scored ({problem}); use longer videos or shorter shots")


def write_synthetic_benchmark(spec: DatasetSpec, data_dir: str | Path, cfg: SyntheticConfig | None = None) -> Path:
    """Write ``spec``'s h5 file (and, for TVSum, ydata-anno.tsv) into ``data_dir``; returns the h5 path."""
    cfg = cfg or (TVSUM_LIKE if spec.needs_annotation_file else SUMME_LIKE)
    rng = np.random.default_rng(cfg.seed)
    readout = rng.standard_normal(FEATURE_DIM).astype(np.float32)
    readout /= np.linalg.norm(readout)
    videos = [_video(i, readout, cfg, rng, spec.needs_annotation_file) for i in range(1, cfg.n_videos + 1)]

    data_dir = Path(data_dir)
    h5_path = spec.h5_path(data_dir)
    with atomic_output(h5_path) as tmp:
        with h5py.File(tmp, "w") as h5:
            h5.attrs[SYNTHETIC_ATTR] = True
            h5.attrs["description"] = (
                f"SYNTHETIC {spec.name}-like data written by dataset/synthetic.py (seed {cfg.seed}); "
                "not real video features"
            )
            for i, video in enumerate(videos, start=1):
                group = h5.create_group(f"video_{i}")
                for key, value in video.items():
                    if key == "frame_scores" or (key == "video_name" and spec.needs_annotation_file):
                        continue
                    group[key] = np.bytes_(value) if key == "video_name" else value
    if spec.needs_annotation_file:
        with atomic_output(data_dir / TVSUM_ANNOTATION_FILE) as tmp, open(tmp, "w") as out:
            for i, video in enumerate(videos, start=1):
                for row in video["frame_scores"]:
                    out.write(f"SYNTHETIC_{i:03d}\tSY\t{','.join(map(str, row))}\n")
    return h5_path
