"""Look inside predictions: one data set (an eccv16 h5: SumMe, TVSum, one build_dataset.py made, or
any other in the layout) and the score files of one or more methods, scored video by video with the
project's own evaluation (builder.predictions reads and checks the files as score.py does,
evaluation.protocol scores them), plus what the picture of one video needs.

Every problem with a file is a ProjectError naming it (dataset.errors.DataError,
builder.errors.PredictionError), as the scripts name it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from builder.predictions import match_predictions, read_predictions
from config import DATASETS, TVSUM_ANNOTATION_FILE, CorrelationTarget, DatasetSpec
from dataset.benchmark import load_benchmark
from dataset.custom import LABELS_ATTR, CustomDataset, LabelKind, custom_spec, read_custom
from dataset.errors import DataError
from dataset.h5 import read_eccv16
from dataset.h5_file import open_h5
from evaluation.protocol import MeanMetrics, VideoMetrics, evaluate_video, mean_metrics
from evaluation.summary import generate_summary
from utils.paths import display_path

METRICS = (("F1", "f1"), ("tau", "kendall"), ("rho", "spearman"))  # column word, VideoMetrics field


@dataclass(frozen=True)
class MethodScores:
    label: str  # how the table names it: the file's method, else its name
    path: Path
    steps: dict[str, np.ndarray]  # video key -> step scores, checked against the data set
    metrics: dict[str, VideoMetrics]
    overall: MeanMetrics


@dataclass(frozen=True)
class Inspection:
    data: CustomDataset  # the data set as score.py reads a built one (a benchmark file put in the same shape)
    protocol: str
    methods: list[MethodScores]


def _benchmark_spec(path: Path) -> DatasetSpec | None:
    """SumMe's or TVSum's protocol for their release files (known by name), else None."""
    return next((spec for spec in DATASETS.values() if spec.h5_name == path.name), None)


def _benchmark_as_custom(path: Path, spec: DatasetSpec, annotations: Path | None, scratch: Path) -> CustomDataset:
    """A benchmark file read as the engine reads it (TVSum with its annotators' scores), in score.py's shape."""
    if spec.needs_annotation_file:
        annotations = annotations or path.with_name(TVSUM_ANNOTATION_FILE)
        if not annotations.is_file():
            raise DataError(f"{display_path(path)} is {spec.name}'s: its tau and rho need the annotators' scores, "
                            f"{TVSUM_ANNOTATION_FILE} (put it beside the h5 file, or give it in the page)")
    # load_benchmark reads <folder>/<h5 name> and <folder>/ydata-anno.tsv: links in a folder of the session's
    folder = scratch / f"benchmark-{len(list(scratch.glob('benchmark-*')))}"
    folder.mkdir(parents=True)
    os.symlink(path.resolve(), spec.h5_path(folder))
    if spec.needs_annotation_file and annotations is not None:
        os.symlink(annotations.resolve(), folder / TVSUM_ANNOTATION_FILE)
    benchmark = load_benchmark(spec, folder)
    kind = LabelKind.SCORES if spec.correlation_target is CorrelationTarget.EACH_ANNOTATOR else LabelKind.SEGMENTS
    names = {key: key for key in benchmark.videos}
    return CustomDataset(path, kind, spec, benchmark.videos, names, None, benchmark.synthetic)


def load_data(path: Path, annotations: Path | None, scratch: Path) -> tuple[CustomDataset, str]:
    """The data set and the words for its protocol.

    Raises:
        DataError: unreadable or damaged file, missing annotations; named.
    """
    with open_h5(path) as h5:
        built = h5.root_attribute(LABELS_ATTR, None) is not None
    if built:
        data = read_custom(path)
        return data, f"a data set built by build_dataset.py ({data.kind.value} labels)"
    spec = _benchmark_spec(path)
    if spec is not None:
        return _benchmark_as_custom(path, spec, annotations, scratch), f"{spec.name}'s release file, scored with {spec.name}'s protocol"
    videos, synthetic = read_eccv16(path)
    spec = custom_spec(path, LabelKind.SEGMENTS)  # user summaries only: SumMe's protocol
    names = {key: key for key in videos}
    data = CustomDataset(path, LabelKind.SEGMENTS, spec, videos, names, None, synthetic)
    return data, "an eccv16 file (not named as SumMe's or TVSum's): scored with SumMe's protocol"


def _method_label(path: Path) -> str:
    """The method a --save-scores file records (every video's 'method' attribute), else the file's name."""
    methods: set[str] = set()
    if h5py.is_hdf5(path):
        try:
            with h5py.File(path, "r") as h5:
                h5.visititems(lambda _, node: methods.add(str(node.attrs["method"])) if "method" in node.attrs else None)
        except (OSError, KeyError, RuntimeError, TypeError, ValueError):
            methods.clear()  # read_predictions names the problem
    return methods.pop() if len(methods) == 1 and "unknown" not in methods else path.stem


def score_method(path: Path, data: CustomDataset, taken: set[str]) -> MethodScores:
    """One score file's F1, tau and rho per video, as score.py computes them.

    Raises:
        PredictionError: unreadable file, a video the data set does not have, a wrong length, NaN; named.
    """
    steps = match_predictions(path, read_predictions(path), data)
    metrics = {key: evaluate_video(steps[key], data.videos[key], data.spec) for key in data.videos if key in steps}
    label = _method_label(path)
    if label in taken:
        label = f"{label} ({path.name})"
    return MethodScores(label, path, steps, metrics, mean_metrics(list(metrics.values())))


def inspect(data_path: Path, score_paths: list[Path], annotations: Path | None, scratch: Path) -> Inspection:
    data, protocol = load_data(data_path, annotations, scratch)
    methods: list[MethodScores] = []
    for path in score_paths:
        methods.append(score_method(path, data, {m.label for m in methods}))
    return Inspection(data, protocol, methods)


def table(inspection: Inspection) -> tuple[list[str], list[list[object]]]:
    """One row per video: its key, its name, then F1 (%), tau and rho of each method (NaN where a
    method has no prediction for it)."""
    headers = ["video", "name"] + [f"{word} {m.label}" for m in inspection.methods for word, _ in METRICS]
    rows = []
    for key, name in inspection.data.names.items():
        row: list[object] = [key, name]
        for method in inspection.methods:
            found = method.metrics.get(key)
            row += [round(float(getattr(found, field)), 4) if found else float("nan") for _, field in METRICS]
        rows.append(row)
    return headers, rows


@dataclass(frozen=True)
class VideoView:
    """What one video's picture shows. Frame-level arrays are Sized [n_frames], step-level [T]."""

    key: str
    name: str
    picks: np.ndarray
    truth_mean: np.ndarray  # at the picks: the annotators' scores (TVSum-like) or their summaries' mean
    truth_spread: np.ndarray  # the annotators' standard deviation, same places
    truth_words: str
    user_summaries: np.ndarray  # Sized [U, n_frames], 0/1
    predictions: dict[str, np.ndarray]  # method -> its step scores
    selections: dict[str, np.ndarray]  # method -> its 0/1 knapsack summary, Sized [n_frames]
    metrics: dict[str, VideoMetrics]


def video_view(inspection: Inspection, key: str) -> VideoView:
    data = inspection.data
    if key not in data.videos:
        raise DataError(f"{display_path(data.path)} has no video {key!r}")
    video = data.videos[key]
    if video.annotator_scores is not None:
        truth, words = video.annotator_scores, "annotators' scores (each / its max)"
    else:
        truth, words = video.user_summary[:, video.picks].astype(np.float64), "annotators' summaries (share choosing each step)"
    scored = [m for m in inspection.methods if key in m.steps]
    return VideoView(
        key=key, name=data.names[key], picks=video.picks, truth_mean=truth.mean(axis=0), truth_spread=truth.std(axis=0),
        truth_words=words, user_summaries=video.user_summary,
        predictions={m.label: m.steps[key] for m in scored},
        selections={m.label: generate_summary(np.asarray(m.steps[key], dtype=np.float32), video.change_points, video.n_frames, video.picks) for m in scored},
        metrics={m.label: m.metrics[key] for m in scored},
    )
