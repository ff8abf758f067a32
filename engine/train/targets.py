"""Training targets of one annotator each: SummDiff learns the distribution of annotators' score sequences.

Its authors train on SumMe with one item per (video, annotator), the annotator's 0/1 frame summary
read every 15 frames (model/mrsum_dataset.py, SummaryDataset_multi: ``user_summary[j][::15]``).
Here the frames read are the video's picks, which are every 15th frame in the eccv16 files, so the
targets are the same there and stay aligned with the features in any data set.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from engine.evaluate.model_scores import DeviceVideo
from engine.train.epoch import VideoStream
from utils.errors import ProjectError

__all__ = ["AnnotatorTargetsUnavailable", "per_annotator"]


class AnnotatorTargetsUnavailable(ProjectError, ValueError):
    """Per-annotator targets asked of videos that do not hold them in memory, or whose annotations do not fit."""


def per_annotator(videos: Sequence[DeviceVideo] | VideoStream, dataset: str) -> list[DeviceVideo]:
    """One training video per (video, annotator), in video order then annotator order; the target is the
    annotator's summary at the video's picks (Sized [T] float32, 0 or 1), the features shared."""
    if isinstance(videos, VideoStream):
        raise AnnotatorTargetsUnavailable(
            f"{dataset}: per-annotator training targets (SummDiff's --individual true) need the videos held in memory, "
            "and this data set streams them; use --individual false")
    expanded = []
    for video in videos:
        record = video.record
        users = record.user_summary
        if users.ndim != 2 or users.shape[0] == 0 or int(record.picks.max(initial=0)) >= users.shape[1]:
            raise AnnotatorTargetsUnavailable(
                f"{dataset} {record.key}: user_summary is Sized {list(users.shape)}, which has no annotator row covering "
                f"every pick (last pick {int(record.picks.max(initial=0))}); per-annotator targets need one row per annotator")
        targets = torch.from_numpy(users[:, record.picks].astype("float32")).to(video.features.device)
        expanded.extend(DeviceVideo(record, video.features, target) for target in targets)
    return expanded
