"""What a build will read and write, decided before torch is imported and before any video is decoded:
the videos, their labels (read and checked in full), and the output. Every mistake here costs a
fraction of a second instead of an hour of decoding."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import BuildError
from builder.labels import LabelFile, ScoreLabels, SegmentLabels, read_labels
from builder.settings import BuildConfig, report_path
from dataset.custom import LabelKind
from engine.run_outputs import refuse_collisions, refuse_existing
from utils.paths import display_path, find_videos

log = logging.getLogger(__name__)


@dataclass
class BuildPlan:
    videos: list[Path]  # built, in this order: video_1, video_2, ...
    labels: LabelFile | None
    kind: LabelKind
    unlabelled: list[Path] = field(default_factory=list)  # videos left out: the label file does not name them
    unmatched: list[str] = field(default_factory=list)  # label file stems with no video

    def labels_of(self, video: Path) -> ScoreLabels | SegmentLabels | None:
        return None if self.labels is None else self.labels.videos[video.stem]


def build_outputs(cfg: BuildConfig) -> list[Path]:
    """The files a build writes under their own names: the h5 and its report."""
    return [cfg.out, report_path(cfg.out)]


def read_inputs(cfg: BuildConfig, videos: list[Path]) -> list[Path]:
    """The files a build reads, none of which an output may replace: the videos and the label file."""
    return [*videos, *([cfg.labels] if cfg.labels is not None else [])]


def plan_build(cfg: BuildConfig) -> BuildPlan:
    """The videos to build and their labels.

    Raises:
        BuildError: no videos, two videos with one stem (labels name videos by stem), or (``require_labels``)
            videos and labels that do not match.
        engine.run_outputs.OutputExists: an existing output without ``overwrite``.
        engine.run_outputs.OutputConflict: the output (or its report) is one of the videos or the label
            file, with or without ``overwrite``.
        DataError: a label file that cannot be read (names the line).
        utils.paths.InputError: a missing input.
    """
    if cfg.out.is_dir():
        raise BuildError(f"{display_path(cfg.out)} is a folder; --h5 names the h5 file to write")
    videos = find_videos(cfg.inputs, cfg.extensions).videos
    if not videos:
        raise BuildError(f"no videos found in {', '.join(map(display_path, cfg.inputs))} (extensions: {', '.join(cfg.extensions)})")
    refuse_collisions(build_outputs(cfg), read_inputs(cfg, videos))  # before --overwrite is even considered
    refuse_existing([cfg.out], cfg.overwrite)  # the one overwrite rule; the report beside it follows the h5
    by_stem: dict[str, Path] = {}
    for video in videos:
        if video.stem in by_stem:
            raise BuildError(f"{display_path(by_stem[video.stem])} and {display_path(video)} have the same name; labels and "
                             "video_name tell videos apart by name: rename one of them")
        by_stem[video.stem] = video
    if cfg.labels is None:
        return BuildPlan(videos, None, LabelKind.NONE)
    labels = read_labels(cfg.labels)
    unlabelled = [video for video in videos if video.stem not in labels.videos]
    unmatched = [stem for stem in labels.videos if stem not in by_stem]
    if cfg.require_labels and (unlabelled or unmatched):
        problems = []
        if unlabelled:
            problems.append(f"videos without labels: {', '.join(display_path(v) for v in unlabelled)}")
        if unmatched:
            problems.append(f"labels for videos not among the inputs: {', '.join(unmatched)}")
        raise BuildError(f"{display_path(cfg.labels)} and the videos do not match (--require-labels): " + "; ".join(problems))
    labelled = [video for video in videos if video.stem in labels.videos]
    if not labelled:
        raise BuildError(f"{display_path(cfg.labels)} labels none of the {len(videos)} videos (it names e.g. "
                         f"{', '.join(list(labels.videos)[:3])}; labels name videos by file stem)")
    return BuildPlan(labelled, labels, labels.kind, unlabelled, unmatched)
