"""Reading the eccv16 h5 feature files (reference section 1), checked before anything trains."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset.errors import DataError
from dataset.h5_file import H5Reader, open_h5
from dataset.scorable import budget_problem, user_summary_problem

REQUIRED_KEYS = ("features", "gtscore", "user_summary", "change_points", "n_frames", "picks")
FEATURE_DIM = 1024
# Root attribute that dataset/synthetic.py sets, so synthetic numbers are never mistaken for real ones.
SYNTHETIC_ATTR = "synthetic"


@dataclass
class VideoRecord:
    """Everything the training and the evaluation protocol need about one video, held in memory."""

    key: str  # the h5 group name, e.g. "video_7"
    features: np.ndarray  # Sized [T, 1024], float32
    gtscore: np.ndarray  # Sized [T], float32; the training target
    picks: np.ndarray  # Sized [T], int64; frame index of each step
    n_frames: int
    change_points: np.ndarray  # Sized [S, 2], int64; shots [first, last], inclusive
    user_summary: np.ndarray  # Sized [U, n_frames], uint8
    annotator_scores: np.ndarray | None = None  # TVSum: Sized [20, T], each annotator's scores / max
    gtsummary: np.ndarray | None = None  # Sized [T], 0/1; the file's step-level summary, when it has one

    @property
    def n_steps(self) -> int:
        return int(self.features.shape[0])


def video_sort_key(key: str) -> tuple[str, int]:
    """'video_10' after 'video_9'."""
    match = re.fullmatch(r"(.*?)(\d+)", key)
    return (match.group(1), int(match.group(2))) if match else (key, -1)


def _single_int(value: np.ndarray, where: str, name: str) -> int:
    if value.size != 1 or not np.isfinite(value).all() or value.reshape(-1)[0] != int(value.reshape(-1)[0]):
        raise DataError(f"{where}: {name} is {value.tolist()!r}; expected one whole number")
    return int(value.reshape(-1)[0])


def _read_video(h5: H5Reader, key: str, feature_dim: int = FEATURE_DIM) -> VideoRecord:
    where = f"{h5.path} [{key}]"
    members = set(h5.members(key))
    missing = [name for name in REQUIRED_KEYS if name not in members]
    if missing:
        raise DataError(f"{where}: missing key(s) {', '.join(missing)} (an eccv16 video group needs {', '.join(REQUIRED_KEYS)})")

    features = h5.array(key, "features", np.float32)
    if features.ndim != 2 or features.shape[1] != feature_dim or features.shape[0] == 0:
        raise DataError(f"{where}: features have shape {features.shape}; expected (n_steps, {feature_dim}) with n_steps >= 1")
    if not np.isfinite(features).all():
        raise DataError(f"{where}: features contain NaN or infinite values (the file may be damaged)")
    n_steps = features.shape[0]

    gtscore = h5.array(key, "gtscore", np.float32).reshape(-1)
    picks = h5.array(key, "picks", np.float64).reshape(-1)
    lengths = {"features": n_steps, "gtscore": len(gtscore), "picks": len(picks)}
    if "n_steps" in members:
        lengths["n_steps"] = _single_int(h5.array(key, "n_steps", np.float64), where, "n_steps")
    if len(set(lengths.values())) != 1:
        raise DataError(f"{where}: step counts disagree: " + ", ".join(f"{k}={v}" for k, v in lengths.items()))
    if not np.isfinite(gtscore).all():
        raise DataError(f"{where}: gtscore contains NaN or infinite values (the file may be damaged)")

    n_frames = _single_int(h5.array(key, "n_frames", np.float64), where, "n_frames")
    if n_frames < 1:
        raise DataError(f"{where}: n_frames is {n_frames}")
    if not np.isfinite(picks).all() or np.any(picks != np.round(picks)):
        raise DataError(f"{where}: picks must be whole frame numbers")
    picks = picks.astype(np.int64)
    if picks[0] < 0 or picks[-1] >= n_frames or np.any(np.diff(picks) <= 0):
        raise DataError(f"{where}: picks must increase strictly and lie in [0, n_frames={n_frames})")

    change_points = h5.array(key, "change_points", np.float64)
    if change_points.ndim != 2 or change_points.shape[1] != 2 or len(change_points) == 0:
        raise DataError(f"{where}: change_points have shape {change_points.shape}; expected (n_segments, 2)")
    if not np.isfinite(change_points).all() or np.any(change_points != np.round(change_points)):
        raise DataError(f"{where}: change_points must be whole frame numbers")
    change_points = change_points.astype(np.int64)
    starts, ends = change_points[:, 0], change_points[:, 1]
    if starts[0] != 0 or ends[-1] != n_frames - 1 or np.any(ends < starts) or np.any(starts[1:] != ends[:-1] + 1):
        raise DataError(
            f"{where}: change_points do not cover the video: shots must run [first, last] inclusive from frame 0 "
            f"to n_frames - 1 = {n_frames - 1} without gaps or overlaps (got first {starts[0]}, last {ends[-1]})"
        )
    if "n_frame_per_seg" in members:
        per_seg = h5.array(key, "n_frame_per_seg").reshape(-1)
        if len(per_seg) != len(change_points):
            raise DataError(f"{where}: n_frame_per_seg has {len(per_seg)} entries for {len(change_points)} shots")
    problem = budget_problem(change_points, n_frames)
    if problem:
        raise DataError(f"{where}: {problem}")

    user_summary = h5.array(key, "user_summary", np.float64)
    if user_summary.ndim != 2 or user_summary.shape[1] != n_frames or user_summary.shape[0] == 0:
        raise DataError(f"{where}: user_summary has shape {user_summary.shape}; expected (n_users, n_frames={n_frames})")
    if not np.isfinite(user_summary).all():
        raise DataError(f"{where}: user_summary contains NaN or infinite values")
    user_summary = (user_summary > 0).astype(np.uint8)
    problem = user_summary_problem(user_summary)
    if problem:
        raise DataError(f"{where}: {problem}")
    gtsummary = None
    if "gtsummary" in members:  # optional: SummDiff's knapsack measures read it (evaluation/knapsack_measures.py)
        gtsummary = h5.array(key, "gtsummary", np.float64).reshape(-1)
        if len(gtsummary) != n_steps or not np.isfinite(gtsummary).all():
            raise DataError(f"{where}: gtsummary has {len(gtsummary)} values for {n_steps} steps (or NaN); expected one finite 0/1 per step")
        gtsummary = (gtsummary > 0).astype(np.uint8)
    return VideoRecord(
        key=key,
        features=features,
        gtscore=gtscore,
        picks=picks,
        n_frames=n_frames,
        change_points=change_points,
        user_summary=user_summary,
        gtsummary=gtsummary,
    )


def read_eccv16(path: str | Path, feature_dim: int = FEATURE_DIM) -> tuple[dict[str, VideoRecord], bool]:
    """All videos of an eccv16 h5 file, in video_1..video_N order, and whether the file is synthetic.

    feature_dim: the features' width (a file build_dataset.py made with another --backbone records its own).
    Every problem, a damaged file included, is a DataError naming the file and the video.
    """
    path = Path(path)
    with open_h5(path) as h5:
        synthetic = bool(h5.root_attribute(SYNTHETIC_ATTR, False))
        keys = sorted(h5.groups(), key=video_sort_key)
        if not keys:
            raise DataError(f"{path}: no video groups found")
        videos = {key: _read_video(h5, key, feature_dim) for key in keys}
    return videos, synthetic
