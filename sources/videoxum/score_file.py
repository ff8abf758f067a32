"""inference.py --dataset VideoXum --save-scores: engine/evaluate/saved_scores.py's layout (format "csta-scores/1")
under /VideoXum/[seed<S>/]<video id>, split 1 (its one train/val/test split; the videos are its test
split's). A "step" there is one of VideoXum's frames sampled at 1 fps, so step_scores and
machine_summary both have one value per such frame, and the summary is the V2V protocol's (the top
15% of the scores, evaluation.v2v.top_share_selection), not a knapsack over shots; the dataset
group's attributes say so.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from engine.evaluate.saved_scores import FORMAT, VIDEO_LAYOUT, prediction_attributes
from evaluation.v2v import top_share_selection
from sources.videoxum import VIDEOXUM, VIDEOXUM_SPLIT
from sources.videoxum.evaluation import VideoXumEvaluation
from utils.files import atomic_output


def write_videoxum_score_file(path: Path, evaluation: VideoXumEvaluation, command: str) -> None:
    """Every VideoXum test video's 1 fps frame scores and V2V summary, for one weights folder's runs, atomically."""
    (folder,) = evaluation.folders
    several = len(folder.runs) > 1
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as out:
        out.attrs["format"] = FORMAT
        out.attrs["command"] = command
        group = out.require_group(VIDEOXUM)
        group.attrs["layout"] = VIDEO_LAYOUT
        group.attrs["videoxum_split"] = "test"
        group.attrs["frames"] = "VideoXum's frames sampled at 1 fps: one step score and one summary value per frame"
        group.attrs["summary_rule"] = "V2V: frames scoring at least the (int(0.15 n) + 1)-th largest score (evaluation.v2v)"
        for run in folder.runs:
            parent = group.require_group(f"seed{run.seed}") if several else group
            attributes = prediction_attributes(VIDEOXUM_SPLIT, run.weights_path, run.model, run.rule, run.seed)
            for key, scores in run.scores.items():
                entry = parent.create_group(key)
                entry.create_dataset("step_scores", data=np.asarray(scores, dtype=np.float32))
                entry.create_dataset("machine_summary", data=top_share_selection(scores).astype(np.uint8))
                entry.attrs.update(attributes)
