"""A data set from a folder of videos: every video decoded and embedded once (kept as a part as soon as
it is done), then the labels applied and the eccv16 file written whole.

A video that cannot be decoded, or whose labels cannot be used, is named, left out and listed at the
end; the others go on. The h5 appears under its final name only when complete; the parts are
removed once every video is in it, and kept otherwise (the next run reuses them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from builder.build_plan import BuildPlan
from builder.errors import BuildError
from builder.h5_layout import DatasetEntry, write_dataset
from builder.kept_parts import PartStore, VideoPart
from builder.settings import BuildConfig, report_path
from builder.shots import SPLIT_FLAG, split_long_shots
from builder.targets import VideoFacts, label_targets
from config import SUMMARY_RATIO
from dataset.custom import BACKBONE_NETWORK_ATTR, BACKBONE_ORIGIN_ATTR, FEATURE_DIM_ATTR, USER_SCORES
from dataset.errors import DataError
from dataset.scorable import budget_problem, constant_rows, summary_budget_frames, user_summary_problem
from utils import write_json_atomic
from utils.errors import ProjectError
from utils.lock import acquire_lock
from utils.paths import display_path
from utils.progress import progress_bar
from video.errors import VideoDecodeError, VideoOpenError

log = logging.getLogger(__name__)

# What one video may fail with without stopping the build: a problem with that file, not a bug.
VIDEO_FAILURES = (ProjectError, OSError, VideoOpenError, VideoDecodeError)
PARTS_FORMAT = 2  # bump when a part's content changes meaning (2: frames turned upright as displayed, issue 29)


@dataclass
class BuildReport:
    out: Path
    videos: list[str] = field(default_factory=list)  # video_name of video_1, video_2, ...
    failed: dict[str, str] = field(default_factory=dict)  # video -> why it was left out
    notes: dict[str, list[str]] = field(default_factory=dict)  # video -> how its labels were fitted
    unlabelled: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    resumed: int = 0  # videos taken from an earlier, interrupted run
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, over the videos built now
    frames: int = 0  # frames decoded now
    backbone: str = ""

    def as_dict(self) -> dict:
        return {"out": str(self.out), "videos": self.videos, "failed": self.failed, "label_notes": self.notes,
                "unlabelled": self.unlabelled, "labels_without_video": self.unmatched, "resumed": self.resumed,
                "seconds": self.seconds, "frames_decoded": self.frames, "backbone": self.backbone}


# (source) -> its part.
Extractor = Callable[[Path], VideoPart]
# The videos still to build -> each with its part, or what it failed with, in any order: the local loop
# (local_map) or Ray workers that hold the embedder once each (builder.ray_build.ray_map).
VideoMap = Callable[[list[Path]], Iterator[tuple[Path, VideoPart | BaseException]]]


def local_map(extract: Extractor) -> VideoMap:
    """Each video in turn on this machine with ``extract``; a video's failure is handed back, not raised."""

    def each_in_turn(sources: list[Path]) -> Iterator[tuple[Path, VideoPart | BaseException]]:
        for source in sources:
            try:
                yield source, extract(source)
            except VIDEO_FAILURES as error:
                yield source, error

    return each_in_turn


def part_settings(cfg: BuildConfig, backbone: str) -> dict:
    """What a part's content depends on: parts made with other settings are never mixed into one file.

    backbone: the embedder's description; the network is named too (a stand-in's description does not name it).
    """
    return {"format": PARTS_FORMAT, "stride": cfg.stride, "preprocess": cfg.preprocess.value, "route": cfg.route.value,
            "backbone": backbone, BACKBONE_NETWORK_ATTR: cfg.backbone.value}


def _check_scorable(fields: dict[str, np.ndarray], picks: np.ndarray) -> str | None:
    """Why dataset/h5.py (or the protocol) would refuse this video's labels, or None."""
    problem = user_summary_problem(fields["user_summary"])
    if problem is None and USER_SCORES in fields:
        scores = fields[USER_SCORES]
        flat = constant_rows((scores / scores.max(axis=1, keepdims=True))[:, picks])
        if flat:
            problem = (f"annotator(s) {', '.join(str(i + 1) for i in flat)} give the same score at every pick; "
                       "the rank correlation with them is undefined (NaN)")
    return problem


def _fit_shots(part: VideoPart, split: bool) -> tuple[VideoPart, str | None, str | None]:
    """``part`` with shots that some summary can hold: as they are, or (``split``) cut to the budget when none fits.

    Returns:
        The part, a note when its shots were cut, and why it must be left out (None when it need not).
    """
    problem = budget_problem(part.change_points, part.n_frames)
    if problem is None:
        return part, None, None
    if not split:
        return part, None, (f"{problem}; pass {SPLIT_FLAG} to keep such a video, its shots cut into pieces that fit the "
                            "budget (the features kept in the .parts folder are reused, nothing is decoded again)")
    shots = split_long_shots(part.change_points, part.n_frames)
    note = (f"every shot was longer than the {SUMMARY_RATIO:.0%} summary budget ({summary_budget_frames(part.n_frames)} of "
            f"{part.n_frames} frames): {len(part.change_points)} shot(s) cut into {len(shots)} ({SPLIT_FLAG})")
    return replace(part, change_points=shots), note, None


def assemble(plan: BuildPlan, parts: Iterable[tuple[Path, VideoPart]], report: BuildReport,
             split_long: bool = False) -> list[DatasetEntry]:
    """Labels applied to each finished video; a video whose labels cannot be used is reported and left out.

    split_long: a video whose every shot is longer than the summary budget is kept with its shots cut to
        fit (builder.shots), and a note; without it, it is left out with a message that offers the flag.
    """
    entries = []
    for source, part in parts:
        labels = plan.labels_of(source)
        part, cut, problem = _fit_shots(part, split_long) if labels is not None or split_long else (part, None, None)
        if problem:  # the shots, whatever the labels: dataset/h5.py would refuse the file
            report.failed[display_path(source)] = f"{display_path(source)}: {problem}"
            continue
        if cut:
            log.warning("%s: %s", display_path(source), cut)
            report.notes.setdefault(part.source, []).append(cut)
        if labels is None:
            entries.append(DatasetEntry(part, None))
            continue
        where = f"{display_path(plan.labels.path)}: video {source.stem}"
        facts = VideoFacts(part.n_frames, part.times, part.picks, part.change_points)
        try:
            targets = label_targets(labels, facts, where)
        except DataError as error:
            report.failed[display_path(source)] = str(error)
            continue
        problem = _check_scorable(targets.fields, part.picks)
        if problem:
            report.failed[display_path(source)] = f"{where}: {problem}"
            continue
        if targets.notes:
            report.notes.setdefault(part.source, []).extend(targets.notes)
        entries.append(DatasetEntry(part, targets))
    return entries


def _finish_videos(store: PartStore, plan: BuildPlan, video_map: VideoMap, report: BuildReport,
                   progress: bool) -> tuple[dict[Path, VideoPart], dict[str, float]]:
    """Every video's part: kept from an earlier run, or made now and kept at once; seconds per stage of those made now."""
    finished = {source: part for source in plan.videos if (part := store.finished(source)) is not None}
    todo = [source for source in plan.videos if source not in finished]
    report.resumed = len(finished)
    if finished:
        log.info("resuming: %d of %d videos were finished by an earlier run", len(finished), len(plan.videos))
    stages = {"decode_embed": 0.0, "kts": 0.0, "write": 0.0}
    with progress_bar(total=len(todo), desc="videos", unit="video", shown=progress and bool(todo), dynamic_ncols=True) as bar:
        for source, outcome in video_map(todo) if todo else ():
            bar.update()
            if isinstance(outcome, BaseException):
                text, name = display_path(str(outcome)), display_path(source)
                report.failed[name] = text if display_path(source.name) in text else f"{name}: {text}"
                log.info("FAILED %s", report.failed[name])
                continue
            started = time.perf_counter()
            store.write(source, outcome)
            outcome.seconds["write"] = time.perf_counter() - started
            for stage in stages:
                stages[stage] += outcome.seconds.get(stage, 0.0)
            report.frames += outcome.n_frames
            finished[source] = outcome
    return finished, stages


def build(cfg: BuildConfig, plan: BuildPlan, video_map: VideoMap, backbone: str, origin: str) -> BuildReport:
    """Build ``cfg.out`` from ``plan``'s videos, those not finished by an earlier run made by ``video_map``.

    backbone, origin: the embedder's description and BackboneOrigin value, recorded in the file.

    Raises:
        BuildError: not one video could be built (nothing is written).
        OutputLocked: another build is writing the same file.
    """
    report = BuildReport(cfg.out, unlabelled=[display_path(v) for v in plan.unlabelled], unmatched=plan.unmatched,
                         backbone=backbone)
    lock = acquire_lock(cfg.out)
    try:
        store = PartStore(cfg.out, part_settings(cfg, backbone))
        store.open(restart=cfg.overwrite)
        finished, stages = _finish_videos(store, plan, video_map, report, cfg.progress)
        entries = assemble(plan, ((s, finished[s]) for s in plan.videos if s in finished), report, cfg.split_long_shots)
        if not entries:
            raise BuildError(f"not one video could be built, {display_path(cfg.out)} was not written:\n  "
                             + "\n  ".join(report.failed.values()))
        started = time.perf_counter()
        attributes = {BACKBONE_ORIGIN_ATTR: origin, "backbone": backbone, BACKBONE_NETWORK_ATTR: cfg.backbone.value,
                      FEATURE_DIM_ATTR: cfg.backbone.width, "preprocess": cfg.preprocess.value,
                      "preprocess_steps": cfg.preprocess.description, "stride": cfg.stride, "segmentation": cfg.route.value}
        write_dataset(cfg.out, entries, plan.kind, attributes)
        stages["write"] += time.perf_counter() - started
        report.seconds = stages
        report.videos = [entry.part.source for entry in entries]
        write_json_atomic(report_path(cfg.out), report.as_dict())
        if not report.failed:
            store.remove()
    finally:
        lock.release()
    return report
