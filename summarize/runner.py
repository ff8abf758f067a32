"""Summarising videos end to end: features, shots, scores, selection, then the outputs."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from config import FRAME_SAMPLE_RATE, SUMMARY_RATIO
from evaluation.summary import summary_budget
from models.backbone import BackboneOrigin
from models.csta import predict_scores
from summarize.analysis import FrameAnalysis, analyse_video
from summarize.embedder import FrameEmbedder
from summarize.outputs import VideoSummaryRecord, write_picture, write_record
from summarize.segmentation import Segmentation, find_shots, model_inputs
from summarize.selection import frames_for_seconds, select_frames
from video.reader import VideoInfo, probe
from video.timing import FrameClock
from video.writer import write_summary

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = ("mp4", "avi", "mkv", "mov", "webm", "m4v", "mpg", "mpeg", "wmv", "flv")


@dataclass(frozen=True)
class SummarizeConfig:
    ratio: float = SUMMARY_RATIO  # share of the frames the summary may hold
    seconds: float | None = None  # instead of ratio: the summary's length at most, in seconds
    sample_rate: int = FRAME_SAMPLE_RATE  # frames between the model's steps (15: 2 steps/s at 30 fps)
    segmentation: Segmentation = Segmentation.FAST
    batch_size: int | None = None  # frames per GoogLeNet batch; None: 8 on CPU (bigger is not faster there), 64 on CUDA
    container: str = "mp4"  # summary video's file type
    video_codec: str | None = None  # None: the container's default
    audio_codec: str | None = None
    write_video: bool = True
    write_extras: bool = True  # the JSON record and the PNG picture
    overwrite: bool = False
    progress: bool = True


@dataclass
class VideoOutcome:
    source: Path
    ok: bool
    message: str
    outputs: list[Path] = field(default_factory=list)


class Summarizer:
    """Holds the loaded networks; summarises one video at a time."""

    def __init__(self, model: nn.Module, embedder: FrameEmbedder, weights_path: Path, config: SummarizeConfig) -> None:
        self.model = model.eval()
        self.embedder = embedder
        self.weights_path = weights_path
        self.config = config

    def output_paths(self, source: Path, out_dir: Path) -> dict[str, Path]:
        paths = {}
        if self.config.write_video:
            paths["video"] = out_dir / f"{source.stem}.{self.config.container}"
        if self.config.write_extras:
            paths["json"] = out_dir / f"{source.stem}.json"
            paths["png"] = out_dir / f"{source.stem}.png"
        return paths

    def summarize(self, source: Path, out_dir: Path) -> VideoOutcome:
        """Summarise ``source`` into ``out_dir``; raises on bad input (the caller records the failure)."""
        cfg = self.config
        started = time.perf_counter()
        paths = self.output_paths(source, out_dir)
        existing = [str(p) for p in paths.values() if p.exists()]
        if existing and not cfg.overwrite:
            raise FileExistsError(f"{source}: output already exists ({', '.join(existing)}); pass --overwrite to replace it")
        info = probe(source)
        analysis = self._analyse(source, info)
        record = self._choose(source, info, analysis, paths.get("video"))
        outputs = self._write(record, paths)
        selection, clock = record.selection, record.clock
        kept = int(selection.keep.sum())
        message = (
            f"{source.name}: {clock.total_seconds:.1f} s -> {clock.kept_seconds(selection.keep):.1f} s "
            f"({kept} of {analysis.n_frames} frames, {len(record.shots)} shots) in {time.perf_counter() - started:.1f} s"
        )
        if selection.fallback:
            message += " [every shot was longer than the budget: kept the best stretch inside one shot]"
        return VideoOutcome(source, True, message, outputs)

    def _analyse(self, source: Path, info: VideoInfo) -> FrameAnalysis:
        """The one decoding pass: features, thumbnails and frame times."""
        cfg = self.config
        embed_every = cfg.segmentation.embed_every or cfg.sample_rate
        batch_size = cfg.segmentation.batch_size(cfg.batch_size or (64 if self.embedder.device.type == "cuda" else 8))
        self.embedder.match_reference_exactly(cfg.segmentation is Segmentation.FULL)
        analysis = analyse_video(source, self.embedder, embed_every, batch_size, info.reported_frames, cfg.progress)
        if analysis.n_frames < cfg.sample_rate:
            raise ValueError(f"{source}: only {analysis.n_frames} frame(s) could be decoded; a summary needs at least {cfg.sample_rate}")
        if info.reported_frames and info.reported_frames != analysis.n_frames:
            log.info("%s: the container reports %d frames but %d were decoded; using %d",
                     source.name, info.reported_frames, analysis.n_frames, analysis.n_frames)
        return analysis

    def _choose(self, source: Path, info: VideoInfo, analysis: FrameAnalysis, summary_video: Path | None) -> VideoSummaryRecord:
        """Shots, CSTA's scores and the knapsack's choice."""
        cfg = self.config
        with tqdm(total=1, desc=f"shots {source.name}", unit="video", disable=not cfg.progress, dynamic_ncols=True) as bar:
            shots = find_shots(analysis, cfg.segmentation, cfg.sample_rate)
            bar.update()
        features, picks = model_inputs(analysis, cfg.sample_rate)
        device = next(self.model.parameters()).device
        scores = predict_scores(self.model, torch.from_numpy(features).to(device))
        clock = FrameClock.from_times(analysis.times, info.frame_rate)
        if not clock.constant_rate:
            log.info("%s has a variable frame rate (%.3f fps on average): the summary keeps each frame's own timing", source.name, info.fps)
        if cfg.seconds is None:
            budget = summary_budget(shots, cfg.ratio)
        else:
            budget = frames_for_seconds(cfg.seconds, info.fps, analysis.n_frames)
        selection = select_frames(scores, shots, analysis.n_frames, picks, budget)
        return VideoSummaryRecord(
            source=source, fps=info.fps, n_frames=analysis.n_frames, shots=shots,
            shot_scores=selection.shot_scores, selection=selection, weights=self.weights_path,
            backbone=self.embedder.description, segmentation=cfg.segmentation.value,
            summary_video=summary_video, clock=clock,
        )

    def _write(self, record: VideoSummaryRecord, paths: dict[str, Path]) -> list[Path]:
        """The summary video, then the JSON record and the picture; returns what was written."""
        cfg = self.config
        outputs = []
        if cfg.write_video:
            write_summary(record.source, record.selection.keep, paths["video"], video_codec=cfg.video_codec,
                          audio_codec=cfg.audio_codec, progress=cfg.progress, overwrite=cfg.overwrite, clock=record.clock)
            outputs.append(paths["video"])
        if cfg.write_extras:
            write_record(record, paths["json"])
            note = None if self.embedder.origin is BackboneOrigin.IMAGENET else f"backbone: {self.embedder.description}"
            write_picture(record, paths["png"], note)
            outputs += [paths["json"], paths["png"]]
        return outputs


def find_videos(inputs: list[Path], extensions: tuple[str, ...]) -> list[Path]:
    """Files as given; folders scanned (not recursively) for the extensions, sorted."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            try:
                found += sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in extensions)
            except OSError as error:
                raise OSError(f"input folder {item} cannot be read ({error.strerror or error})") from error
        else:
            found.append(item)
    return found


def summarize_all(summarizer: Summarizer, sources: list[Path], out_dir: Path) -> list[VideoOutcome]:
    """Every video in turn; a failing video is reported and the others still run."""
    outcomes = []
    for source in sources:
        try:
            outcome = summarizer.summarize(source, out_dir)
        except (OSError, ValueError, RuntimeError) as error:
            outcome = VideoOutcome(source, False, f"{source}: {error}" if str(source) not in str(error) else str(error))
        log.info("%s%s", "" if outcome.ok else "FAILED ", outcome.message)
        outcomes.append(outcome)
    return outcomes
