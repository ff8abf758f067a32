"""Any method's predictions for a built data set, read and checked against it.

Two files are accepted:
- the ``--save-scores`` h5 of train.py/inference.py: a group per video (under a group per data set)
  holding ``step_scores`` (and ``machine_summary``, which is not read: the summary is made again from
  the scores, by the protocol, so every method's is made the same way);
- a JSON object mapping each video key (``video_1``) or name (``clip.mp4`` or ``clip``) to a list
  of scores, one per pick or one per frame (the length says which; per-frame scores are taken at
  the picks, where the protocol compares them).
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from builder.errors import PredictionError
from dataset.custom import CustomDataset
from dataset.h5 import VideoRecord

STEP_SCORES = "step_scores"


def _h5_predictions(path: Path) -> dict[str, np.ndarray]:
    """Every group holding ``step_scores``, by the group's own name; one name under two parents is ambiguous."""
    found: dict[str, tuple[str, np.ndarray]] = {}

    def visit(name: str, node: h5py.Group | h5py.Dataset) -> None:
        if isinstance(node, h5py.Group) and STEP_SCORES in node:
            key = name.rsplit("/", 1)[-1]
            if key in found:
                raise PredictionError(f"{path}: {found[key][0]} and {name} both hold scores for {key}; keep one data set's group")
            found[key] = (name, np.asarray(node[STEP_SCORES][()], dtype=np.float64))

    try:
        with h5py.File(path, "r") as h5:
            h5.visititems(visit)
    except (OSError, KeyError, RuntimeError, TypeError) as error:
        raise PredictionError(f"{path}: cannot be read as an h5 file of scores ({error})") from error
    if not found:
        raise PredictionError(f"{path}: no group holds '{STEP_SCORES}' (expected the --save-scores layout)")
    return {key: scores for key, (_, scores) in found.items()}


def _json_predictions(path: Path) -> dict[str, np.ndarray]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise PredictionError(f"{path}: cannot be read as JSON ({error})") from error
    if not isinstance(payload, dict) or not payload:
        raise PredictionError(f"{path}: expected a JSON object mapping each video to its list of scores")
    predictions = {}
    for key, values in payload.items():
        if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise PredictionError(f"{path}: the scores of {key} are not a list of numbers")
        predictions[key] = np.asarray(values, dtype=np.float64)
    return predictions


def read_predictions(path: str | Path) -> dict[str, np.ndarray]:
    """Scores by the file's own video names (h5 files by their signature, anything else as JSON)."""
    path = Path(path)
    if not path.is_file():
        raise PredictionError(f"{path}: no such file")
    return _h5_predictions(path) if h5py.is_hdf5(path) else _json_predictions(path)


def prediction_splits(path: str | Path) -> dict[str, int] | None:
    """The split each video's scores came from, by the file's own video names: the ``split`` attribute that
    inference.py --save-scores writes on every video group. None for a JSON file (it carries no splits).

    Raises:
        PredictionError: an h5 file with a video group that says no split (scores from elsewhere).
    """
    path = Path(path)
    if not h5py.is_hdf5(path):
        return None
    splits: dict[str, int] = {}
    unsplit: list[str] = []

    def visit(name: str, node: h5py.Group | h5py.Dataset) -> None:
        if isinstance(node, h5py.Group) and STEP_SCORES in node:
            key = name.rsplit("/", 1)[-1]
            if "split" in node.attrs:
                splits[key] = int(node.attrs["split"])
            else:
                unsplit.append(name)

    with h5py.File(path, "r") as h5:
        h5.visititems(visit)
    if unsplit:
        raise PredictionError(f"{path}: {unsplit[0]} (and {len(unsplit) - 1} more) holds scores without a 'split' attribute, "
                              "so the mean over splits cannot be taken; use --mean videos")
    return splits


def _step_scores(scores: np.ndarray, video: VideoRecord, label: str, path: Path) -> np.ndarray:
    scores = scores.reshape(-1)
    if not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise PredictionError(f"{path}: the scores of {label} hold NaN or infinite values (first at index {bad})")
    if len(scores) == video.n_steps:
        return scores
    if len(scores) == video.n_frames:
        return scores[video.picks]
    raise PredictionError(f"{path}: {len(scores)} scores for {label}, which has {video.n_steps} picks and "
                          f"{video.n_frames} frames; give one score per pick or one per frame")


def match_predictions(path: Path, predictions: dict[str, np.ndarray], data: CustomDataset) -> dict[str, np.ndarray]:
    """Step scores by video key, checked: every prediction names a video of ``data``, has a length
    it allows and no NaN. Raises PredictionError naming the video."""
    by_name: dict[str, str] = {}
    for key, name in data.names.items():
        by_name.setdefault(name, key)
        by_name.setdefault(Path(name).stem, key)
    matched: dict[str, np.ndarray] = {}
    for name, scores in predictions.items():
        key = name if name in data.videos else by_name.get(name)
        if key is None:
            raise PredictionError(f"{path}: predictions for {name!r}, which is not a video of {data.path} "
                                  f"(its videos: {', '.join(list(data.videos)[:3])}... or their names, e.g. {next(iter(data.names.values()))})")
        if key in matched:
            raise PredictionError(f"{path}: {key} ({data.names[key]}) has predictions under two names")
        label = f"{key} ({data.names[key]})"
        matched[key] = _step_scores(scores, data.videos[key], label, path)
    return matched
