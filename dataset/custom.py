"""A data set built from one's own videos (builder/, build_dataset.py): the eccv16 layout plus the few
fields and root attributes that say how it was labelled, read back as the benchmark's records.

What the labels are decides the protocol, as the two benchmarks' labels decide theirs:
- per-frame scores by several annotators (TVSum's ydata-anno.tsv style): F1 averaged over the
  annotators, tau/rho between the predicted step scores and each annotator's scores (the extra
  ``user_scores`` field, each row divided by its maximum, at the picks), averaged (TVSum's protocol);
- chosen segments per annotator (SumMe style): F1 of the best-matching annotator, tau/rho between
  the 0/1 machine summary and the annotators' mean summary (SumMe's protocol);
- none: features, picks and shots only; nothing to score or train on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config import CorrelationTarget, DatasetSpec, F1Reduction
from dataset.annotations import annotator_step_scores
from dataset.benchmark import Benchmark
from dataset.errors import DataError
from dataset.h5 import FEATURE_DIM, VideoRecord, read_eccv16, video_sort_key
from dataset.h5_file import open_h5
from dataset.splits import FORMAT_TAG, Split
from utils import write_json_atomic

DEFAULT_FOLDS = 5

# Root attributes the builder writes (the official loaders ignore them).
LABELS_ATTR = "labels"  # a LabelKind value
BACKBONE_ORIGIN_ATTR = "backbone_origin"  # a models.backbone.BackboneOrigin value
BACKBONE_NETWORK_ATTR = "backbone_network"  # a config.Backbone value: the CNN that made the features
FEATURE_DIM_ATTR = "feature_dim"  # the width of the features (1024 for GoogLeNet pool5)
# Per-video fields beyond the eccv16 ones (the official loaders ignore them too).
USER_SCORES = "user_scores"  # Sized [n_users, n_frames]: each annotator's raw scores (score labels only)
VIDEO_NAME = "video_name"
FPS = "fps"


class LabelKind(enum.Enum):
    """How a built data set was labelled."""

    SCORES = "scores"  # per-frame scores per annotator
    SEGMENTS = "segments"  # chosen segments per annotator
    NONE = "none"  # unlabelled

    @property
    def f1_reduction(self) -> F1Reduction:
        """The benchmark convention for this kind of label: max over users for segments (SumMe), mean for scores (TVSum)."""
        return F1Reduction.MEAN if self is LabelKind.SCORES else F1Reduction.MAX

    @property
    def correlation_target(self) -> CorrelationTarget:
        return CorrelationTarget.EACH_ANNOTATOR if self is LabelKind.SCORES else CorrelationTarget.MEAN_USER_SUMMARY


def custom_spec(path: Path, kind: LabelKind, f1_reduction: F1Reduction | None = None) -> DatasetSpec:
    """The protocol of a built data set; ``f1_reduction`` overrides the label kind's convention."""
    return DatasetSpec(
        name=Path(path).stem,
        h5_name=Path(path).name,
        f1_reduction=f1_reduction or kind.f1_reduction,
        correlation_target=kind.correlation_target,
        needs_annotation_file=False,  # score labels travel inside the file (user_scores)
    )


@dataclass
class CustomDataset:
    path: Path
    kind: LabelKind
    spec: DatasetSpec
    videos: dict[str, VideoRecord]  # video_1 ... in order
    names: dict[str, str]  # key -> the source file's name (video_name)
    backbone_origin: str | None  # what made the features (models.backbone.BackboneOrigin value), if recorded
    synthetic: bool
    backbone_network: str = "GoogleNet"  # the CNN that made the features (config.Backbone value; files built before it was recorded: GoogLeNet)
    feature_dim: int = FEATURE_DIM


def read_labels_kind(path: str | Path) -> LabelKind:
    """The label kind recorded in a built file; a DataError for a file the builder did not write."""
    path = Path(path)
    with open_h5(path) as h5:
        value = h5.root_attribute(LABELS_ATTR, None)
    if value is None:
        raise DataError(f"{path}: no '{LABELS_ATTR}' root attribute; it was not written by build_dataset.py "
                        "(the SumMe/TVSum files are read with --dataset SumMe/TVSum)")
    value = value.decode() if isinstance(value, bytes) else str(value)
    try:
        return LabelKind(value)
    except ValueError:
        raise DataError(f"{path}: unknown label kind {value!r}; expected one of {', '.join(k.value for k in LabelKind)}") from None


def _text(value: np.ndarray) -> str:
    item = value.reshape(-1)[0] if value.size else b""
    return item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)


def read_custom(path: str | Path, f1_reduction: F1Reduction | None = None) -> CustomDataset:
    """Every video of a built data set with what its protocol needs (score labels: the annotators' step scores).

    Raises:
        DataError: not a built file, an unlabelled one (nothing to score), or any problem
            ``dataset.h5.read_eccv16`` finds; each names the file and the video.
    """
    path = Path(path)
    kind = read_labels_kind(path)
    if kind is LabelKind.NONE:
        raise DataError(f"{path} has no labels (built without --labels): it holds features, picks and shots for "
                        "inference, but nothing to score or train against")
    network, width = _features_made_by(path)
    videos, synthetic = read_eccv16(path, width)
    names: dict[str, str] = {}
    with open_h5(path) as h5:
        origin = h5.root_attribute(BACKBONE_ORIGIN_ATTR, None)
        for key in sorted(videos, key=video_sort_key):
            members = set(h5.members(key))
            names[key] = _text(h5.array(key, VIDEO_NAME)) if VIDEO_NAME in members else key
            if kind is LabelKind.SCORES:
                videos[key].annotator_scores = _annotator_scores(h5.array(key, USER_SCORES, np.float64) if USER_SCORES in members
                                                                 else None, videos[key], f"{path} [{key}]")
    origin = origin.decode() if isinstance(origin, bytes) else (None if origin is None else str(origin))
    return CustomDataset(path, kind, custom_spec(path, kind, f1_reduction), videos, names, origin, synthetic, network, width)


def _features_made_by(path: Path) -> tuple[str, int]:
    """The CNN (a config.Backbone value) and the feature width a built file records (GoogLeNet, 1024 when it does not)."""
    with open_h5(path) as h5:
        network = h5.root_attribute(BACKBONE_NETWORK_ATTR, "GoogleNet")
        width = np.asarray(h5.root_attribute(FEATURE_DIM_ATTR, FEATURE_DIM))
    if width.size != 1 or not np.issubdtype(width.dtype, np.integer) or int(width.reshape(-1)[0]) < 1:
        raise DataError(f"{path}: the root attribute {FEATURE_DIM_ATTR} is {width.tolist()!r}; expected the features' width")
    return (network.decode() if isinstance(network, bytes) else str(network)), int(width.reshape(-1)[0])


def _annotator_scores(raw: np.ndarray | None, video: VideoRecord, where: str) -> np.ndarray:
    """Each annotator's scores over their maximum at the picks (TVSum's protocol). Sized [n_users, T]."""
    if raw is None:
        raise DataError(f"{where}: score labels but no {USER_SCORES} field")
    if raw.ndim != 2 or raw.shape[1] != video.n_frames:
        raise DataError(f"{where}: {USER_SCORES} has shape {raw.shape}; expected (n_users, n_frames={video.n_frames})")
    stride = int(video.picks[1] - video.picks[0]) if video.n_steps > 1 else max(video.n_frames, 1)
    if video.picks[0] != 0 or np.any(video.picks != np.arange(0, video.n_frames, stride)[:video.n_steps]) or \
            video.n_steps != len(range(0, video.n_frames, stride)):
        raise DataError(f"{where}: picks are not every {stride}th frame from 0; the annotators' step scores need regular picks")
    if not np.isfinite(raw).all() or np.any(raw.max(axis=1) <= 0):
        raise DataError(f"{where}: {USER_SCORES} must be finite with a positive maximum per annotator")
    return annotator_step_scores(raw, stride, where)


def custom_benchmark(path: str | Path, f1_reduction: F1Reduction | None = None) -> tuple[Benchmark, CustomDataset]:
    """A built file as the engine's Benchmark (for train.py/inference.py --dataset custom --h5 PATH), and its details."""
    data = read_custom(path, f1_reduction)
    return Benchmark(data.spec, data.path, data.videos, data.synthetic, feature_origin=data.backbone_origin), data


def random_splits(keys: list[str], seed: int, folds: int = DEFAULT_FOLDS) -> list[Split]:
    """``folds`` folds from ``seed``, every video tested exactly once (as the official splits are made).

    Raises:
        DataError: fewer videos than folds (some test set would be empty).
    """
    if len(keys) < folds:
        raise DataError(f"{len(keys)} videos cannot make {folds} folds with a test video each; give --splits-file or more videos")
    order = np.random.default_rng(seed).permutation(len(keys))
    tests = [sorted((keys[i] for i in order[fold::folds]), key=video_sort_key) for fold in range(folds)]
    return [Split(number, tuple(k for k in keys if k not in test), tuple(test)) for number, test in enumerate(tests, start=1)]


def write_splits(path: str | Path, dataset: str, splits: list[Split]) -> None:
    """Splits in the project's JSON format (dataset/splits.py reads them back), written atomically."""
    write_json_atomic(path, {"format": FORMAT_TAG, "dataset": dataset,
                             "splits": [{"train": list(s.train_keys), "test": list(s.test_keys)} for s in splits]})
