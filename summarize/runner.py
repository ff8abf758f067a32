"""Summarising videos end to end: features, shots, scores, selection, then the outputs.

Which videos, under which names, and whether each is new, finished or blocked is decided before
(summarize.summary_plan, summarize.provenance); this module does the work for one ``VideoJob`` at a time.
A video that cannot be handled (the project's own errors, a file's OS errors, the video package's
read/write errors) is reported and the batch goes on; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from config import FRAME_SAMPLE_RATE, SUMMARY_RATIO
from engine.run_outputs import exists_message
from evaluation.degenerate import score_findings
from evaluation.summary import summary_budget
from features.analysis import FrameAnalysis, analyse_video
from features.decode_ahead import DecodeAhead, DecodeAheadError
from features.embedder import FrameEmbedder
from features.segmentation import Segmentation
from features.shots import find_shots, model_inputs
from models.backbone import BackboneOrigin
from models.csta import predict_scores
from summarize.outputs import VideoSummaryRecord, write_png, write_record
from summarize.picture_ahead import PictureHelper, draw
from summarize.provenance import VideoJob, mark_text
from summarize.selection import frames_for_seconds, select_frames
from utils.errors import ProjectError
from utils.files import refused_write
from utils.paths import display_path
from utils.progress import progress_bar
from video.errors import VideoDecodeError, VideoEncodeError, VideoOpenError
from video.reader import VideoInfo, probe, read_orientation
from video.timing import FrameClock
from video.writer import write_summary

log = logging.getLogger(__name__)

# What one video may fail with without stopping the batch: a problem with that file, not a bug.
VIDEO_FAILURES = (ProjectError, OSError, VideoOpenError, VideoDecodeError, VideoEncodeError)
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class SummarizeConfig:
    ratio: float = SUMMARY_RATIO  # share of the frames the summary may hold
    seconds: float | None = None  # instead of ratio: the summary's length at most, in seconds
    sample_rate: int = FRAME_SAMPLE_RATE  # frames between the model's steps (15: 2 steps/s at 30 fps)
    segmentation: Segmentation = Segmentation.FAST
    batch_size: int | None = None  # frames per GoogLeNet batch; None: Segmentation.default_batch_size
    video_codec: str | None = None  # None: the container's default
    audio_codec: str | None = None
    progress: bool = True
    settings: dict[str, Any] = field(default_factory=dict)  # what the run's fingerprint covers, for the JSON record


class VideoTooShort(ProjectError):
    """A video with fewer decodable frames than one model step needs."""


class OutputNotWritten(ProjectError):
    """One output of a video could not be written; says which, why, and what was kept."""

    def __init__(self, path: Path, kept: list[Path], error: BaseException) -> None:
        cause = refused_write(error)
        self.path = path
        self.disk_full = cause is not None and cause.errno in _DISK_FULL
        reason = cause.strerror if cause is not None and cause.strerror else str(error)
        kept_text = f"kept: {', '.join(map(display_path, kept))}" if kept else "no other output of this video was written"
        super().__init__(f"{display_path(path)} could not be written ({reason}): nothing was left under that name, and an "
                         f"earlier file there, if any, is unchanged; {kept_text}")


@dataclass
class VideoOutcome:
    source: Path
    ok: bool
    message: str
    outputs: list[Path] = field(default_factory=list)
    disk_full: bool = False  # the batch stops: every later video would fail the same way


class Summarizer:
    """Holds the loaded networks; summarises one video at a time."""

    def __init__(self, model: nn.Module, embedder: FrameEmbedder, weights_path: Path, config: SummarizeConfig,
                 model_warnings: Sequence[str] = ()) -> None:
        """``model_warnings``: what training found wrong with these weights (their record's warnings), repeated in
        every video's JSON and picture."""
        self.model = model.eval()
        self.embedder = embedder
        self.weights_path = weights_path
        self.config = config
        self.model_warnings = list(model_warnings)

    def summarize(self, job: VideoJob, frames: DecodeAhead | None = None, pictures: PictureHelper | None = None) -> VideoOutcome:
        """Summarise ``job.source`` into ``job.paths``; raises on bad input (the caller records the failure).

        frames: its frames already being decoded (generate_video starts that before loading the
        networks); used when they are what this summary needs, else the video is decoded here.
        pictures: a helper process that draws the picture while the video is written (else drawn here).
        """
        source = job.source
        started = time.perf_counter()
        if not job.replace:  # checked again here: a file may have appeared since the run was planned
            existing = [p for p in job.paths.values() if p.exists()]
            if existing:
                raise FileExistsError(f"{display_path(source)}: {exists_message(existing)}")
        info = probe(source)
        analysis = self._analyse(source, info, frames)
        record = self._choose(job, info, analysis)
        outputs = self._write(record, job, pictures)
        selection, clock = record.selection, record.clock
        kept = int(selection.keep.sum())
        message = (
            f"{display_path(source.name)}: {clock.total_seconds:.1f} s -> {clock.kept_seconds(selection.keep):.1f} s "
            f"({kept} of {analysis.n_frames} frames, {len(record.shots)} shots) in {time.perf_counter() - started:.1f} s"
        )
        if selection.fallback:
            message += " [every shot was longer than the budget: kept the best stretch inside one shot]"
        return VideoOutcome(source, True, message, outputs)

    def _analyse(self, source: Path, info: VideoInfo, frames: DecodeAhead | None) -> FrameAnalysis:
        """The one decoding pass: features, thumbnails and frame times."""
        cfg = self.config
        embed_every = cfg.segmentation.frames_between_embeddings(cfg.sample_rate)
        batch_size = cfg.batch_size or cfg.segmentation.default_batch_size(self.embedder.device.type)
        self.embedder.match_reference_exactly(cfg.segmentation is Segmentation.FULL)
        if frames is not None and not frames.matches(source, embed_every, self.embedder.crop_geometry):
            log.debug("%s: the frames decoded ahead are not those this summary needs; decoding it here", source)
            frames.close()
            frames = None
        try:
            analysis = analyse_video(source, self.embedder, embed_every, batch_size, info.reported_frames, cfg.progress, frames=frames)
        except DecodeAheadError as error:  # the helper died (killed, out of memory): the same pass, decoded here
            log.warning("%s; decoding it in this process instead", display_path(str(error)))
            analysis = analyse_video(source, self.embedder, embed_every, batch_size, info.reported_frames, cfg.progress)
        if analysis.n_frames < cfg.sample_rate:
            raise VideoTooShort(f"{display_path(source)}: only {analysis.n_frames} frame(s) could be decoded; "
                                f"a summary needs at least {cfg.sample_rate}")
        if info.reported_frames and info.reported_frames != analysis.n_frames:
            log.info("%s: the container reports %d frames but %d were decoded; using %d",
                     display_path(source.name), info.reported_frames, analysis.n_frames, analysis.n_frames)
        return analysis

    def _choose(self, job: VideoJob, info: VideoInfo, analysis: FrameAnalysis) -> VideoSummaryRecord:
        """Shots, CSTA's scores and the knapsack's choice."""
        cfg, source = self.config, job.source
        with progress_bar(total=1, desc=f"shots {display_path(source.name)}", unit="video", shown=cfg.progress, lines=False,
                          dynamic_ncols=True) as bar:
            shots = find_shots(analysis, cfg.segmentation, cfg.sample_rate)
            bar.update()
        features, picks = model_inputs(analysis, cfg.sample_rate)
        device = next(self.model.parameters()).device
        scores = predict_scores(self.model, torch.from_numpy(features).to(device))
        clock = FrameClock.from_times(analysis.times, info.frame_rate)
        if not clock.constant_rate:
            log.info("%s has a variable frame rate (%.3f fps on average): the summary keeps each frame's own timing",
                     display_path(source.name), info.fps)
        if cfg.seconds is None:
            budget = summary_budget(shots, cfg.ratio)
        else:
            budget = frames_for_seconds(cfg.seconds, info.fps, analysis.n_frames)
        selection = select_frames(scores, shots, analysis.n_frames, picks, budget)
        warnings = self.model_warnings + [finding.message for finding in score_findings([scores], "predicted")]
        for message in warnings[len(self.model_warnings):]:
            log.warning("%s: the model looks useless on this video: %s", display_path(source.name), message)
        return VideoSummaryRecord(
            source=source, fps=info.fps, n_frames=analysis.n_frames, shots=shots,
            shot_scores=selection.shot_scores, selection=selection, weights=self.weights_path,
            backbone=self.embedder.description, segmentation=cfg.segmentation.value,
            summary_video=job.paths.get("video"), clock=clock, fingerprint=job.fingerprint, settings=cfg.settings,
            orientation=read_orientation(source), warnings=warnings,
        )

    def _write(self, record: VideoSummaryRecord, job: VideoJob, pictures: PictureHelper | None = None) -> list[Path]:
        """The summary video, then the JSON record and the picture, each complete or not at all;
        returns what was written.

        Raises:
            OutputNotWritten: names the output that failed and those already written.
        """
        cfg = self.config
        note = None if self.embedder.origin is BackboneOrigin.IMAGENET else f"backbone: {self.embedder.description}"
        number = pictures.ask(record, note) if pictures is not None and "png" in job.paths else None  # drawn meanwhile
        writers = {
            "video": lambda path: write_summary(record.source, record.selection.keep, path, video_codec=cfg.video_codec,
                                                audio_codec=cfg.audio_codec, progress=cfg.progress, overwrite=job.replace,
                                                clock=record.clock, metadata={"comment": mark_text(job.fingerprint)}),
            "json": lambda path: write_record(record, path),
            "png": lambda path: write_png(draw(pictures, number, record, note), path),
        }
        written: list[Path] = []
        for kind, path in job.paths.items():
            try:
                writers[kind](path)
            except (OSError, VideoEncodeError) as error:
                raise OutputNotWritten(path, written, error) from error
            written.append(path)
        return written


def summarize_one(summarizer: Summarizer, job: VideoJob, frames: DecodeAhead | None = None,
                  pictures: PictureHelper | None = None) -> VideoOutcome:
    """One job's outcome: a video that fails with a problem of its own (VIDEO_FAILURES) is a failed
    outcome that names it, not an exception; anything else is a bug and raises."""
    try:
        return summarizer.summarize(job, frames, pictures)
    except VIDEO_FAILURES as error:
        text, name = display_path(str(error)), display_path(job.source)
        full = isinstance(error, OutputNotWritten) and error.disk_full
        return VideoOutcome(job.source, False, text if name in text else f"{name}: {text}", disk_full=full)


def log_outcome(outcome: VideoOutcome) -> None:
    log.info("%s%s", "" if outcome.ok else "FAILED ", outcome.message)


def summarize_all(summarizer: Summarizer, jobs: list[VideoJob], first_frames: DecodeAhead | None = None,
                  pictures: PictureHelper | None = None) -> Iterator[VideoOutcome]:
    """Every job in turn, one outcome each as it finishes; a video that fails is reported and the
    others still run, except when the disk is full (every later video would fail the same way).
    first_frames: the first job's frames, already being decoded (Summarizer.summarize); closed once that job is done.
    pictures: the helper drawing every job's picture (summarize.picture_ahead); the caller closes it."""
    for index, job in enumerate(jobs):
        frames = first_frames if index == 0 else None
        try:
            outcome = summarize_one(summarizer, job, frames, pictures)
        finally:
            if frames is not None:
                frames.close()  # its process and shared memory go now, not at the end of the batch
        log_outcome(outcome)
        yield outcome
        if outcome.disk_full:
            return
