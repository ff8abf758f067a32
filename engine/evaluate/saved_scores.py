"""What a model predicted, in one HDF5 file (inference.py --save-scores), for any other evaluation.

Layout (format "csta-scores/1")::

    /<dataset>/<video key>/step_scores       float32 [n_steps], the model's score per feature step
    /<dataset>/<video key>/machine_summary   uint8 [n_frames], 1 for the frames of the 15 % summary
        attrs: split (from 1), method, model_options (JSON), weights (path), selection_rule, seed

With several seeds the videos of each seed sit under /<dataset>/seed<S>/. A set of splits that tests
a video more than once (PGL-SUM's and CA-SUM's random splits) puts every video of that dataset
under /<dataset>/[seed<S>/]split<k>/<video key> instead, so no prediction is lost; the dataset
group's attribute "layout" says which ("video" or "split/video"). The root holds "format" and the
command that wrote the file. The file is written under a temporary name and renamed when complete.

VideoXum's scores use the same layout (sources/videoxum/score_file.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from config import EpochRule
from dataset.benchmark import Benchmark
from engine.evaluate.weights_evaluation import DatasetEvaluation, SplitEvaluation
from evaluation.summary import generate_summary
from models.method_choice import ModelChoice
from utils.files import atomic_output

FORMAT = "csta-scores/1"
VIDEO_LAYOUT = "video"
SPLIT_LAYOUT = "split/video"


def dataset_layout(runs: Sequence[DatasetEvaluation]) -> str:
    """'video' when each run tests every video at most once, else 'split/video'."""
    for run in runs:
        tested = Counter(video.key for split in run.splits for video in split.videos)
        if any(count > 1 for count in tested.values()):
            return SPLIT_LAYOUT
    return VIDEO_LAYOUT


def _video_attributes(split: SplitEvaluation, seed: int | None) -> dict:
    return prediction_attributes(split.split, split.weights_path, split.model, split.selection_rule, seed)


def prediction_attributes(split: int, weights: Path, choice: ModelChoice | None, rule: EpochRule | None, seed: int | None) -> dict:
    attributes = {
        "split": split,
        "weights": str(weights),
        "method": choice.method if choice else "unknown",
        "model_options": json.dumps(choice.options() if choice else None),
        "selection_rule": rule.value if rule else "not known (no training record)",
    }
    if seed is not None:
        attributes["seed"] = seed
    return attributes


def write_score_file(path: Path, results: Sequence[tuple[Benchmark, Sequence[DatasetEvaluation]]], command: str) -> None:
    """Every evaluated test video's step scores and 0/1 frame summary, atomically.

    Args:
        results: per dataset, its data and its runs (one per seed; several seeds get seed<S> groups).
        command: the command line, recorded in the file.
    """
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as out:
        out.attrs["format"] = FORMAT
        out.attrs["command"] = command
        for benchmark, runs in results:
            group = out.require_group(benchmark.spec.name)
            layout = dataset_layout(runs)
            group.attrs["layout"] = layout
            for run in runs:
                folder = group.require_group(f"seed{run.seed}") if len(runs) > 1 else group
                for split in run.splits:
                    parent = folder.require_group(f"split{split.split}") if layout == SPLIT_LAYOUT else folder
                    for metrics in split.videos:
                        video = benchmark.videos[metrics.key]
                        scores = np.asarray(split.scores[metrics.key], dtype=np.float32)
                        summary = generate_summary(scores, video.change_points, video.n_frames, video.picks)
                        entry = parent.create_group(metrics.key)
                        entry.create_dataset("step_scores", data=scores)
                        entry.create_dataset("machine_summary", data=np.asarray(summary, dtype=np.uint8))
                        entry.attrs.update(_video_attributes(split, run.seed))

