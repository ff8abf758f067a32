"""Reading VideoXum (Lin et al., IEEE TMM 2023) as its release lays it out, one video at a time.

    DATA_DIR/anno/{train,val,test}_videoxum.json   a JSON list, one object per video
    DATA_DIR/feat/<extractor>/<video_id>.npz       per-frame features at 1 fps under the key "features"

The fields read, as VideoXum's own loader (data/activitynet_dataset.py) uses them: ``video_id``;
``vsum_onehot``, 10 rows (annotators) of 0/1 over the 1 fps frames; ``duration`` and
``sampled_frames`` are kept for the record (VideoXum's code never reads ``sampled_frames``);
``timestamps``, ``tsum`` and ``vsum`` (the segments, their sentences and the annotators' spans in
seconds) are not needed for video-to-video summarisation and are not kept.

Lengths. VideoXum's loader asserts that the BLIP features and ``vsum_onehot`` have the same number
of frames, and where a second feature file (its CLIP features) has another length it cuts the
features and the labels to the shorter of the two. Features extracted elsewhere (e.g. here, by
features/extract.py, at 1 fps) can differ from ``vsum_onehot`` by a frame the same way, so a gap of
at most ``MAX_LENGTH_GAP`` frames is cut to the shorter length, as VideoXum cuts; a larger gap is a
DataError naming the video, since it means the features belong to another video or another rate.

Memory: the annotations (a few KB per video) are held; the features are read from their file each
time a video is asked for, so a DataLoader's workers stream them and an epoch's memory does not grow
with the number of videos.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch.utils.data

from dataset.errors import DataError
from dataset.feature_settings import read_settings, settings_path
from dataset.h5 import VideoRecord
from utils.memory import release_free_memory

ANNOTATION_DIR = "anno"
FEATURE_DIR = "feat"
FEATURE_KEY = "features"
# Written by cli/synthetic_videoxum.py at the data root, so synthetic numbers are never taken for real ones.
SYNTHETIC_MARKER = "SYNTHETIC"
# Frames by which features and annotations may differ; they are cut to the shorter (see the module docstring).
MAX_LENGTH_GAP = 1
REQUIRED_FIELDS = ("video_id", "duration", "vsum_onehot")


class VideoXumSplit(enum.Enum):
    """VideoXum's own split: 8,000 / 2,001 / 4,000 videos in the release."""

    TRAIN = "train"
    VAL = "val"
    TEST = "test"

    def annotation_path(self, data_dir: Path) -> Path:
        return Path(data_dir) / ANNOTATION_DIR / f"{self.value}_videoxum.json"


@dataclass(frozen=True)
class VideoXumAnnotation:
    """One video's annotation as held in memory (the features stay on disk)."""

    video_id: str
    duration: float  # seconds
    sampled_frames: int | None  # as given; VideoXum's code does not use it
    vsum_onehot: np.ndarray  # Sized [n_annotators, n_frames], uint8 0/1, over the 1 fps frames


def _parse_annotation(entry: object, index: int, path: Path) -> VideoXumAnnotation:
    if not isinstance(entry, dict):
        raise DataError(f"{path}: entry {index} is not an object")
    missing = [name for name in REQUIRED_FIELDS if name not in entry]
    if missing:
        raise DataError(f"{path}: entry {index} ({entry.get('video_id', 'no video_id')}) lacks {', '.join(missing)}")
    video_id = entry["video_id"]
    if not isinstance(video_id, str) or not video_id or "/" in video_id:
        raise DataError(f"{path}: entry {index} has video_id {video_id!r}; expected a file-name-safe string")
    where = f"{path}: video {video_id}"
    try:
        onehot = np.asarray(entry["vsum_onehot"], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DataError(f"{where}: vsum_onehot is not a rectangular array of numbers ({error})") from error
    if onehot.ndim != 2 or onehot.shape[0] == 0 or onehot.shape[1] == 0:
        raise DataError(f"{where}: vsum_onehot has shape {onehot.shape}; expected (n_annotators, n_frames)")
    if not np.isin(onehot, (0, 1)).all():
        raise DataError(f"{where}: vsum_onehot holds values other than 0 and 1")
    sampled = entry.get("sampled_frames")
    try:
        duration = float(entry["duration"])
        sampled = None if sampled is None else int(sampled)
    except (TypeError, ValueError) as error:
        raise DataError(f"{where}: duration {entry['duration']!r} / sampled_frames {sampled!r} are not numbers") from error
    return VideoXumAnnotation(video_id, duration, sampled, onehot.astype(np.uint8))


def read_annotations(data_dir: str | Path, split: VideoXumSplit) -> list[VideoXumAnnotation]:
    """One split's annotations, in the file's order. A DataError names the file for a missing file,
    malformed JSON, a bad entry, a repeated video_id or an empty split."""
    path = split.annotation_path(Path(data_dir))
    if not path.is_file():
        raise DataError(f"VideoXum annotations not found: {path} (the release's anno/{split.value}_videoxum.json; pass --data-dir)")
    try:
        entries = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(entries, list):
        raise DataError(f"{path}: expected a list of videos, found {type(entries).__name__}")
    if not entries:
        raise DataError(f"{path}: the {split.value} split holds no videos")
    annotations = [_parse_annotation(entry, index, path) for index, entry in enumerate(entries)]
    del entries
    release_free_memory()  # the parsed JSON's lists (~10x the arrays kept) go back to the system
    seen: set[str] = set()
    for annotation in annotations:
        if annotation.video_id in seen:
            raise DataError(f"{path}: video {annotation.video_id} appears twice")
        seen.add(annotation.video_id)
    return annotations


def feature_folders(data_dir: str | Path) -> list[str]:
    """The feature sets present under DATA_DIR/feat/, by name."""
    root = Path(data_dir) / FEATURE_DIR
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def feature_folder(data_dir: str | Path, name: str) -> Path:
    """DATA_DIR/feat/<name>; a DataError listing the folders there when it does not exist."""
    folder = Path(data_dir) / FEATURE_DIR / name
    if not folder.is_dir():
        present = feature_folders(data_dir)
        choice = f"present: {', '.join(present)}" if present else f"none under {Path(data_dir) / FEATURE_DIR}"
        raise DataError(f"unknown feature set {name!r}: {folder} is not a folder ({choice})")
    return folder


def aligned_length(n_features: int, n_labels: int, where: str) -> int:
    """The frames both sides keep: the shorter length when they differ by at most MAX_LENGTH_GAP."""
    if abs(n_features - n_labels) > MAX_LENGTH_GAP:
        raise DataError(
            f"{where}: {n_features} feature frames but vsum_onehot covers {n_labels}; a gap of more than "
            f"{MAX_LENGTH_GAP} frame means the features are of another video or another frame rate than 1 fps"
        )
    return min(n_features, n_labels)


def load_features(path: Path, video_id: str) -> np.ndarray:
    """The ``features`` array of one npz file, float32 Sized [n_frames, d]; a DataError naming the file otherwise."""
    try:
        with np.load(path) as npz:
            if FEATURE_KEY not in npz.files:
                raise DataError(f"{path}: no '{FEATURE_KEY}' array (has {', '.join(npz.files) or 'none'}) for video {video_id}")
            features = np.asarray(npz[FEATURE_KEY], dtype=np.float32)
    except FileNotFoundError as error:
        raise DataError(f"features of video {video_id} not found: {path} (missing from {path.parent})") from error
    except (OSError, ValueError, EOFError) as error:  # not a zip, truncated, pickled objects
        raise DataError(f"{path}: cannot read the features of video {video_id} ({error})") from error
    if features.ndim != 2 or features.shape[0] == 0 or features.shape[1] == 0:
        raise DataError(f"{path}: features have shape {features.shape}; expected (n_frames, d)")
    if not np.isfinite(features).all():
        raise DataError(f"{path}: features contain NaN or infinite values")
    return features


def video_record(annotation: VideoXumAnnotation, features: np.ndarray, where: str) -> VideoRecord:
    """The project's record of one VideoXum video, on the 1 fps frames.

    A step is a 1 fps frame (picks = 0..T-1, n_frames = T); ``gtscore``, the training target, is the
    share of annotators who kept each frame (the mean of ``vsum_onehot``, the same target VideoXum's
    rank correlations use); ``user_summary`` and ``annotator_scores`` are the 10 rows of
    ``vsum_onehot``; every frame is its own shot, so that a knapsack over shots at a 15% budget keeps
    the highest-scored frames (VideoXum has no shots; its segments overlap and do not cover the video).
    """
    length = aligned_length(len(features), annotation.vsum_onehot.shape[1], where)
    onehot = annotation.vsum_onehot[:, :length]
    steps = np.arange(length, dtype=np.int64)
    return VideoRecord(
        key=annotation.video_id,
        features=np.ascontiguousarray(features[:length]),
        gtscore=onehot.mean(axis=0).astype(np.float32),
        picks=steps,
        n_frames=length,
        change_points=np.stack([steps, steps], axis=1),
        user_summary=onehot.copy(),
        annotator_scores=onehot.astype(np.float32),
    )


class AnnotationTable:
    """A split's annotations packed into a few numpy arrays instead of one Python object per video.

    Why: a DataLoader's forked workers share the parent's memory until a page is written, and merely
    reading a Python object writes its reference count; with one object per video every worker ends
    up with its own copy of all of them in the course of an epoch. Numpy arrays' contents are read
    without writes, so the workers keep sharing them. ``vsum_onehot`` of all videos is one uint8 array.
    """

    def __init__(self, annotations: list[VideoXumAnnotation]) -> None:
        lengths = np.array([a.vsum_onehot.shape[1] for a in annotations], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(lengths)])
        self.n_annotators = np.array([a.vsum_onehot.shape[0] for a in annotations], dtype=np.int64)
        rows = int(self.n_annotators.max())
        self.onehot = np.zeros((rows, int(self.offsets[-1])), dtype=np.uint8)
        for index, annotation in enumerate(annotations):
            self.onehot[:annotation.vsum_onehot.shape[0], self.offsets[index]:self.offsets[index + 1]] = annotation.vsum_onehot
        self.video_ids = np.array([a.video_id for a in annotations])
        self.durations = np.array([a.duration for a in annotations], dtype=np.float64)
        self.sampled_frames = np.array([-1 if a.sampled_frames is None else a.sampled_frames for a in annotations], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.video_ids)

    def n_frames(self) -> np.ndarray:
        """Frames of each video's ``vsum_onehot``, Sized [n_videos]."""
        return np.diff(self.offsets)

    def __getitem__(self, index: int) -> VideoXumAnnotation:
        sampled = int(self.sampled_frames[index])
        onehot = self.onehot[:self.n_annotators[index], self.offsets[index]:self.offsets[index + 1]]
        return VideoXumAnnotation(str(self.video_ids[index]), float(self.durations[index]), None if sampled < 0 else sampled, onehot)


class VideoXumDataset(torch.utils.data.Dataset):
    """One split of VideoXum with one feature set; item i reads video i's features from disk.

    Every feature file is checked to exist when the dataset is made (one listing of the folder), so a
    missing one stops the run before training starts; the files' contents are checked as they are read.
    Use with ``torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=N)`` (videos differ in
    length; batch_size=None hands each record over as it is).
    """

    def __init__(self, data_dir: str | Path, split: VideoXumSplit, features: str) -> None:
        self.data_dir = Path(data_dir)
        self.split = split
        self.feature_name = features
        self.folder = feature_folder(self.data_dir, features)
        annotations = read_annotations(self.data_dir, split)
        self.synthetic = (self.data_dir / SYNTHETIC_MARKER).exists()
        present = {entry.name for entry in _scan(self.folder)}
        missing = [a.video_id for a in annotations if f"{a.video_id}.npz" not in present]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise DataError(
                f"features of {len(missing)} {split.value} video(s) not found in {self.folder}: {shown} "
                f"(expected <video_id>.npz; extract them with python -m cli.extract_features)"
            )
        self.annotations = AnnotationTable(annotations)
        # the file every other's width is compared with when the folder has no settings record: one for all splits
        self._reference = self.folder / min(name for name in present if name.endswith(".npz"))
        self._width: tuple[int, str] | None = None  # (d, where it comes from), read on first use (in each worker)
        del annotations, present
        release_free_memory()

    def __len__(self) -> int:
        return len(self.annotations)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(str(video_id) for video_id in self.annotations.video_ids)

    def feature_path(self, index: int) -> Path:
        return self.folder / f"{self.annotations.video_ids[index]}.npz"

    def feature_stamp(self) -> str:
        """sha256 of every feature file's name, size and modification time: features extracted again (another
        backbone under the same name, say) change it, without reading the gigabytes a split's files hold.

        Raises:
            DataError: a feature file that cannot be examined (named).
        """
        digest = hashlib.sha256()
        for index in range(len(self)):
            path = self.feature_path(index)
            try:
                stat = os.stat(path)
            except OSError as error:
                raise DataError(f"cannot examine the feature file {path}: {error.strerror or error}") from error
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def expected_width(self) -> tuple[int, str]:
        """The width d every feature file of the folder must have, and where it comes from: the folder's settings
        record (written by cli.extract_features), else its first file by name (the same for every split).

        Raises:
            DataError: an unreadable record or reference file (named).
        """
        if self._width is None:
            recorded = read_settings(self.folder)
            if recorded is not None:
                self._width = recorded.feature_width, f"the folder's settings record {settings_path(self.folder)}"
            else:
                width = load_features(self._reference, self._reference.stem).shape[1]
                self._width = width, f"the folder's first file {self._reference}"
        return self._width

    def __getitem__(self, index: int) -> VideoRecord:
        annotation = self.annotations[index]
        path = self.feature_path(index)
        features = load_features(path, annotation.video_id)
        width, origin = self.expected_width()
        if features.shape[1] != width:
            raise DataError(f"{path}: features are {features.shape[1]}-wide, but {origin} gives {width}: the folder mixes feature sets "
                            "(another backbone?); extract its videos again with one setting (python -m cli.extract_features --overwrite)")
        return video_record(annotation, features, f"{path} (video {annotation.video_id})")

    def feature_dim(self) -> int:
        """d of the feature set, from the first video's file (the model is sized from it)."""
        return int(self[0].features.shape[1])


def _scan(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError as error:
        raise DataError(f"cannot list the feature folder {folder}: {error.strerror or error}") from error
