"""Reading the "Most replayed" data sets (Mr.HiSum, MoSu) as their authors lay them out, one video at a time.

Two layouts, each read exactly as its authors' loader reads it:

- ``ReplayLayout.MRHISUM``, Mr.HiSum's own release (github MRHiSum/MR.HiSum, model/mrhisum_dataset.py):
  ``mr_hisum.h5`` with one group per video holding ``features`` (T x 1024), ``gtscore`` (T),
  ``change_points`` (S x 2, inclusive [start, end] rows) and ``gt_summary`` (T, 0/1; their README says
  gtsummary, their loader reads gt_summary, so that is the name read here), and ``mr_hisum_split.json``.
- ``ReplayLayout.TRIPLESUMM``, TripleSumm's releases (github smkim37/TripleSumm, dataset.py) of MoSu and of
  Mr.HiSum: ``<name>_gt.h5`` with one group per video holding ``gt_score``, ``gt_summary`` and
  ``change_points``, the visual features ``<name>_feat_visual_<net>.h5`` with one T x d dataset per video
  id, and ``<name>_split.json``. The text and audio files of that release are not read: the methods here
  are visual-only.

Every split file holds ``train_keys``, ``val_keys`` and ``test_keys``.

Lengths. Neither loader compares the features' rows with the scores' (Mr.HiSum's takes T and its mask from the
features, TripleSumm's its mask from the scores), and neither trims one to the other: a gap misaligns the two in
their padded batches or fails there, so no gap is tolerated here: features, scores and gt_summary must have the same number of rows, and a video
where they do not is a DataError saying by how much. A video with fewer rows than one clip of the mAP
protocols (``CLIP_ROWS``) has no top clip to rank: such videos are left out of their split, listed in the log
and in the training record (``ReplaySplit.short``); this is our rule, the authors' code has none.

Memory: ``open_replay_split`` reads only the small label arrays (to check them) and the features' shapes, and
keeps each video's key and length in numpy arrays; ``ReplayDataset`` opens the h5 files in each DataLoader
worker process the first time it reads a video, so an epoch holds one video per worker, never the file.
Every read goes through dataset/h5_file.py, so a damaged or unreadable file is a DataError naming it and the
object that failed.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch.utils.data

from dataset.errors import DataError
from dataset.h5 import VideoRecord
from dataset.h5_file import H5Reader, open_h5

CLIP_ROWS = 5  # the mAP protocols' uniform clip (Mr.HiSum's generate_mrhisum_seg_scores(uniform_clip=5))
SPLIT_FIELDS = ("train_keys", "val_keys", "test_keys")
SYNTHETIC_ATTR = "synthetic"  # root attribute of a SYNTHETIC file (dataset/replay_synthetic.py)


class ReplaySplit(enum.Enum):
    """The three splits of a split file, by the field that lists them."""

    TRAIN = "train_keys"
    VAL = "val_keys"
    TEST = "test_keys"

    @property
    def label(self) -> str:
        return {"train_keys": "train", "val_keys": "validation", "test_keys": "test"}[self.value]


class ReplayLayout(enum.Enum):
    """Whose release the files are (see the module docstring)."""

    MRHISUM = "mrhisum"
    TRIPLESUMM = "triplesumm"


@dataclass(frozen=True)
class ReplayFiles:
    """Where one data set's files are and which fields its layout names."""

    dataset: str  # "Mr.HiSum" or "MoSu", for messages
    layout: ReplayLayout
    labels: Path  # the h5 holding the scores (Mr.HiSum's own layout: the features too)
    features: Path
    split: Path
    score_field: str  # "gtscore" or "gt_score"

    @classmethod
    def mrhisum(cls, data_dir: Path) -> ReplayFiles:
        """Mr.HiSum as its authors release it: mr_hisum.h5 and mr_hisum_split.json."""
        h5 = Path(data_dir) / "mr_hisum.h5"
        return cls("Mr.HiSum", ReplayLayout.MRHISUM, h5, h5, Path(data_dir) / "mr_hisum_split.json", "gtscore")

    @classmethod
    def triplesumm(cls, dataset: str, prefix: str, network: str, data_dir: Path) -> ReplayFiles:
        """A TripleSumm release: <prefix>_gt.h5, <prefix>_feat_visual_<network>.h5, <prefix>_split.json."""
        root = Path(data_dir)
        return cls(dataset, ReplayLayout.TRIPLESUMM, root / f"{prefix}_gt.h5", root / f"{prefix}_feat_visual_{network}.h5",
                   root / f"{prefix}_split.json", "gt_score")

    @property
    def paths(self) -> list[Path]:
        """Every file read, once each."""
        return list(dict.fromkeys((self.labels, self.features, self.split)))

    def check_present(self) -> None:
        """A DataError naming every missing file and where it belongs."""
        missing = [path for path in self.paths if not path.is_file()]
        if missing:
            layout = "its authors' release" if self.layout is ReplayLayout.MRHISUM else "TripleSumm's release"
            raise DataError(f"{self.dataset} ({layout}): not found: {', '.join(map(str, missing))}; put "
                            f"{', '.join(path.name for path in missing)} in {missing[0].parent} (or pass the folder holding them as --data-dir)")

    def stamp(self) -> str:
        """sha256 of each file's name, size and modification time (the files are tens of GB: not hashed)."""
        digest = hashlib.sha256()
        for path in self.paths:
            stat = os.stat(path)
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    @property
    def layout_name(self) -> str:
        """The layout the files should be in, for the messages of a failed read."""
        return f"{self.dataset} ({self.layout.value})"

    def open_labels(self) -> H5Reader:
        """The labels file, open until ``close`` (a DataError naming it when it is not HDF5)."""
        return H5Reader.open(self.labels, self.layout_name)

    def open_features(self) -> H5Reader:
        return H5Reader.open(self.features, self.layout_name)

    def synthetic(self) -> bool:
        with open_h5(self.labels, self.layout_name) as labels:
            return bool(labels.root_attribute(SYNTHETIC_ATTR, False))


def read_split_file(files: ReplayFiles) -> dict[ReplaySplit, list[str]]:
    """The three key lists of the split file; a DataError naming the file and the missing or malformed field."""
    try:
        payload = json.loads(files.split.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{files.split}: cannot be read as JSON ({error})") from error
    if not isinstance(payload, dict):
        raise DataError(f"{files.split}: expected an object with {', '.join(SPLIT_FIELDS)}")
    keys = {}
    for split in ReplaySplit:
        value = payload.get(split.value)
        if not isinstance(value, list) or not value or not all(isinstance(key, str) for key in value):
            found = "missing" if value is None else "not a non-empty list of video ids"
            raise DataError(f"{files.split}: field '{split.value}' is {found} (has: {', '.join(sorted(payload)) or 'nothing'})")
        keys[split] = value
    return keys


def _field(h5: H5Reader, key: str, name: str, where: str) -> np.ndarray:
    """One dataset of a video's group, named in the error when absent (with the near-miss spelling, if any)."""
    present = sorted(h5.members(key))
    if name not in present:
        near = [other for other in present if other.replace("_", "") == name.replace("_", "") and other != name]
        hint = f"; it has '{near[0]}': rename it to '{name}', the field the authors' loader reads" if near else ""
        raise DataError(f"{where} lacks the field '{name}' (has: {', '.join(present) or 'nothing'}){hint}")
    return h5.array(key, name)


def _feature_path(features: H5Reader, files: ReplayFiles, key: str) -> str:
    """Where one video's features are: <key>/features in Mr.HiSum's file, <key> in TripleSumm's (checked to be there)."""
    if files.layout is ReplayLayout.MRHISUM:
        present = features.members(key)
        if "features" not in present:
            raise DataError(f"{files.features}: video {key} lacks the field 'features' (has: {', '.join(sorted(present)) or 'nothing'})")
        return f"{key}/features"
    if features.is_group(key):
        raise DataError(f"{files.features}: {key} is a group; TripleSumm's feature file holds one T x d dataset per video id")
    return key


@dataclass(frozen=True)
class VideoLabels:
    """One video's labels as the protocols read them (the features stay on disk)."""

    gtscore: np.ndarray  # Sized [T], float32
    gt_summary: np.ndarray  # Sized [T], uint8
    change_points: np.ndarray  # Sized [S, 2], int64, inclusive


def read_labels(labels: H5Reader, files: ReplayFiles, key: str) -> VideoLabels:
    """A video's gtscore, gt_summary and change points, checked (fields present, finite scores, shots in range)."""
    where = f"{files.labels}: video {key}"
    score = _field(labels, key, files.score_field, where).astype(np.float32).reshape(-1)
    summary = _field(labels, key, "gt_summary", where).reshape(-1)
    shots = _field(labels, key, "change_points", where)
    if not np.isfinite(score).all():
        raise DataError(f"{where}: {files.score_field} holds {int((~np.isfinite(score)).sum())} NaN or infinite value(s) of {len(score)}")
    if len(summary) != len(score):
        raise DataError(f"{where}: gt_summary has {len(summary)} rows and {files.score_field} {len(score)} (off by {len(summary) - len(score):+d})")
    if not np.isin(summary, (0, 1)).all():
        raise DataError(f"{where}: gt_summary holds values other than 0 and 1")
    shots = np.asarray(shots, dtype=np.int64).reshape(-1, 2) if shots.size % 2 == 0 else None
    if shots is None or len(shots) == 0 or shots.min() < 0 or shots.max() >= max(len(score), 1) or (shots[:, 1] < shots[:, 0]).any():
        raise DataError(f"{where}: change_points must be [start, end] rows within 0..{len(score) - 1}")
    return VideoLabels(score, summary.astype(np.uint8), shots)


@dataclass
class ReplayIndex:
    """One split, checked: its videos' keys and lengths in file order (numpy: shared by forked workers)."""

    files: ReplayFiles
    split: ReplaySplit
    keys: np.ndarray  # str
    lengths: np.ndarray  # int64 rows per video
    feature_dim: int
    short: list[str] = field(default_factory=list)  # left out: fewer rows than CLIP_ROWS


def open_replay_split(files: ReplayFiles, split: ReplaySplit, keys: Sequence[str], limit: int | None = None) -> ReplayIndex:
    """Check one split's videos (the first ``limit`` of them) and index them; nothing of the features is read but shapes.

    Raises:
        DataError: a key absent from an h5 file, a missing field, NaN scores, features whose rows disagree with the
        scores' (by how many), features of another width than the first video's.
    """
    chosen = list(keys[:limit] if limit is not None else keys)
    kept, lengths, short, widths = [], [], [], set()
    with open_h5(files.labels, files.layout_name) as labels, open_h5(files.features, files.layout_name) as features:
        for path, handle in ((files.labels, labels), (files.features, features)):
            present = set(handle.members("/"))
            absent = [key for key in chosen if key not in present]
            if absent:
                shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
                raise DataError(f"{len(absent)} {split.label} video(s) listed in {files.split} ('{split.value}') are not in {path}: {shown}")
        for key in chosen:
            rows = len(read_labels(labels, files, key).gtscore)
            shape = features.shape(_feature_path(features, files, key))
            if len(shape) != 2 or shape[1] == 0:
                raise DataError(f"{files.features}: video {key} has features of shape {shape}; expected (T, d)")
            if shape[0] != rows:
                gap = shape[0] - rows
                elsewhere = f" in {files.labels}" if files.labels != files.features else ""
                raise DataError(f"{files.features}: video {key} has {shape[0]} feature rows but {rows} {files.score_field} rows{elsewhere} "
                                f"(off by {gap:+d}; neither author's loader accepts a gap)")
            if rows < CLIP_ROWS:
                short.append(key)
                continue
            widths.add(int(shape[1]))
            kept.append(key)
            lengths.append(rows)
    if len(widths) > 1:
        raise DataError(f"{files.features}: the {split.label} videos have features of several widths ({sorted(widths)})")
    if not kept:
        raise DataError(f"{files.split}: no {split.label} video of at least {CLIP_ROWS} rows" + (f" among the first {limit}" if limit else ""))
    return ReplayIndex(files, split, np.array(kept), np.array(lengths, dtype=np.int64), widths.pop(), short)


class ReplayDataset(torch.utils.data.Dataset):
    """One checked split; item i reads video i from the h5 files, which each process opens for itself on first use.

    Use with ``DataLoader(dataset, batch_size=None, num_workers=N)``: every worker opens its own readers
    (h5py handles must not cross a fork), so the files are never held in memory whole.
    """

    def __init__(self, index: ReplayIndex) -> None:
        self.index = index
        self._handles: tuple[int, H5Reader, H5Reader] | None = None

    def __len__(self) -> int:
        return len(self.index.keys)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(str(key) for key in self.index.keys)

    @property
    def files(self) -> ReplayFiles:
        return self.index.files

    def _open(self) -> tuple[H5Reader, H5Reader]:
        """This process's readers, opened on its first read (a forked worker's inherited ones are not used)."""
        if self._handles is None or self._handles[0] != os.getpid():
            labels = self.files.open_labels()
            features = labels if self.files.features == self.files.labels else self.files.open_features()
            self._handles = (os.getpid(), labels, features)
        return self._handles[1], self._handles[2]

    def __getstate__(self) -> dict:
        return {"index": self.index, "_handles": None}  # a worker started by spawn opens its own

    def labels(self, index: int) -> VideoLabels:
        labels, _ = self._open()
        return read_labels(labels, self.files, str(self.index.keys[index]))

    def __getitem__(self, index: int) -> VideoRecord:
        key = str(self.index.keys[index])
        labels_file, features_file = self._open()
        labels = read_labels(labels_file, self.files, key)
        features = features_file.array("", _feature_path(features_file, self.files, key), np.float32)
        if len(features) != len(labels.gtscore):  # the file changed since it was checked
            raise DataError(f"{self.files.features}: video {key} has {len(features)} feature rows and {len(labels.gtscore)} score rows")
        if not np.isfinite(features).all():
            raise DataError(f"{self.files.features}: video {key} has NaN or infinite features")
        steps = np.arange(len(features), dtype=np.int64)
        return VideoRecord(key=key, features=features, gtscore=labels.gtscore, picks=steps, n_frames=len(features),
                           change_points=labels.change_points, user_summary=labels.gt_summary[None, :].copy())
