"""Writing the data set in exactly the eccv16 layout (reference section 1), which dataset/h5.py and the
official CSTA, PGL-SUM and DSNet loaders read unchanged: groups ``video_1`` ... ``video_N`` with
features, picks, n_steps, n_frames, fps, change_points, n_frame_per_seg, video_name and, when
labelled, gtscore, gtsummary, user_summary (and user_scores for score labels)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from builder.kept_parts import VideoPart
from builder.targets import Targets
from dataset.custom import FPS, LABELS_ATTR, VIDEO_NAME, LabelKind
from dataset.h5 import SYNTHETIC_ATTR
from utils import atomic_output


@dataclass(frozen=True)
class DatasetEntry:
    part: VideoPart
    targets: Targets | None  # None: unlabelled


def video_fields(part: VideoPart) -> dict[str, np.ndarray]:
    """The label-free fields of one group, in the eccv16 dtypes."""
    change_points = np.asarray(part.change_points, dtype=np.int64)
    return {
        "features": np.asarray(part.features, dtype=np.float32),
        "picks": np.asarray(part.picks, dtype=np.int64),
        "n_steps": np.int64(len(part.picks)),
        "n_frames": np.int64(part.n_frames),
        FPS: np.float64(part.fps),
        "change_points": change_points,
        "n_frame_per_seg": change_points[:, 1] - change_points[:, 0] + 1,
        VIDEO_NAME: np.bytes_(part.source.encode("utf-8", "surrogateescape")),
    }


def write_dataset(path: Path, entries: Sequence[DatasetEntry], kind: LabelKind, attributes: dict[str, str | bool]) -> None:
    """The whole file, under its final name only once complete (utils.files.atomic_output).

    attributes: root attributes (how the features were made); ``synthetic`` among them marks every
    number computed from the file as synthetic, as dataset/synthetic.py's files are.
    """
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.attrs[LABELS_ATTR] = kind.value
        h5.attrs[SYNTHETIC_ATTR] = bool(attributes.get(SYNTHETIC_ATTR, False))
        for name, value in attributes.items():
            if name != SYNTHETIC_ATTR:
                h5.attrs[name] = value
        for index, entry in enumerate(entries, start=1):
            group = h5.create_group(f"video_{index}")
            fields = video_fields(entry.part)
            if entry.targets is not None:
                fields.update(entry.targets.fields)
            for name, value in fields.items():
                group[name] = value
