"""Per-frame features of whole video collections at a fixed rate, in VideoXum's layout:
OUT/<video_id>.npz with the key ``features`` (float32, Sized [n_samples, d]; d = 1024 for GoogLeNet
pool5, the default, 512 for ResNet-18, 1280 for EfficientNet-B0 and MobileNet-V2).

Sampling: the frame shown at each instant k / fps (k = 0, 1, ...; times relative to the first
frame) while the video lasts, i.e. ceil(duration x fps) samples where duration is the last frame's
time plus one frame: 83 samples for VideoXum's 82.73 s example at 1 fps. Decoding streams (one
frame held at a time, video.reader.decode_video); frames are embedded in batches by the same
FrameEmbedder as generate_video (features.embedder: GoogLeNet pool5, L2-normalised), upright as a
player shows them (a phone's display matrix applied, video.orientation; OpenCV reads them so too).

Resumable: a video whose file is already in OUT is skipped. Every file is written to a temporary
name and renamed when complete (utils.files), so a file that exists is whole, and a killed run
leaves at most a hidden ``.<id>.npz.*.partial`` behind, never a truncated ``<id>.npz``.

Parallel: ``extract_videos`` hands the jobs to a ``JobRunner``; ``local_runner`` runs them here one
after another; ``ray_runner`` spreads them over Ray workers (utils.cluster.run_on_ray, the pool
generate_video.py --ray uses), each loading the embedder once with the sequential run's loader and
running the same ``extract_one`` per video with the sequential run's torch thread count, so the
files are the same; results come back as ``ExtractResult`` values as videos finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from config import Backbone
from dataset.videoxum import FEATURE_KEY
from features.embedder import FrameEmbedder
from utils.cluster import PoolConfig, run_on_ray
from utils.errors import ProjectError
from utils.files import atomic_stream
from utils.progress import progress_bar
from video.orientation import UPRIGHT, frame_orientation
from video.reader import decode_video, open_video

# Seconds: an instant this close to a frame's start time belongs to that frame (times are floats from PTS).
_EPSILON = 1e-6


class ExtractionError(ProjectError):
    """A set of videos that cannot be extracted together (e.g. two with the same video id)."""


@dataclass(frozen=True)
class ExtractConfig:
    fps: float = 1.0
    backbone: Backbone = Backbone.GOOGLENET  # GoogLeNet pool5: the paper's (and eccv16's) feature
    batch_size: int = 16
    exact: bool = False  # the reference route's bit-exact kernels (slower); otherwise equal up to float rounding
    progress: bool = True

    def __post_init__(self) -> None:
        if not self.fps > 0 or self.batch_size < 1:
            raise ValueError(f"fps must be > 0 and batch_size >= 1, got {self.fps} and {self.batch_size}")


@dataclass(frozen=True)
class ExtractJob:
    """One video to extract: where it is, its id (the file's stem) and the file to write."""

    source: Path
    video_id: str
    target: Path


@dataclass(frozen=True)
class ExtractResult:
    video_id: str
    n_samples: int = 0
    error: str | None = None  # why the video failed; the others go on


@dataclass
class ExtractSummary:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already in OUT
    failed: dict[str, str] = field(default_factory=dict)  # video id -> reason


def plan_jobs(videos: Sequence[Path], out_dir: Path, redo: bool = False) -> tuple[list[ExtractJob], list[str]]:
    """The videos still to extract, and the ids of those already in ``out_dir`` (skipped; with ``redo``, none
    is: every video is extracted again, its file replaced once the new one is complete).

    Raises:
        ExtractionError: two videos share a stem, so their features would go to the same file.
    """
    by_id: dict[str, Path] = {}
    for path in videos:
        video_id = Path(path).stem
        if video_id in by_id:
            raise ExtractionError(f"{by_id[video_id]} and {path} would both be written to {out_dir / (video_id + '.npz')}")
        by_id[video_id] = Path(path)
    todo, skipped = [], []
    for video_id, path in by_id.items():
        target = Path(out_dir) / f"{video_id}.npz"
        if target.exists() and not redo:
            skipped.append(video_id)
        else:
            todo.append(ExtractJob(path, video_id, target))
    return todo, skipped


def frames_at_rate(path: Path, fps: float) -> Iterator[tuple[float, np.ndarray]]:
    """(instant, RGB frame Sized [H, W, 3]) for every instant k / fps while the video lasts: the frame
    on screen then (the last one starting at or before it), as shown (the display matrix applied,
    video.orientation). Streams: one decoded frame held at a time.

    Raises:
        VideoOpenError, VideoDecodeError: from video.reader.
    """
    with open_video(path) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        start = None
        held = None  # (time, frame) of the latest decoded frame
        k = 0
        orientation = UPRIGHT
        for index, frame in enumerate(decode_video(container, path)):
            if index == 0:
                orientation = frame_orientation(frame)
            time = index / rate if frame.time is None else float(frame.time)
            start = time if start is None else start
            time -= start
            if held is not None:
                while k / fps < time - _EPSILON:
                    yield k / fps, orientation.upright(held[1].to_ndarray(format="rgb24"))
                    k += 1
            held = (time, frame)
        if held is not None:
            end = held[0] + 1 / rate
            while k / fps < end - _EPSILON:
                yield k / fps, orientation.upright(held[1].to_ndarray(format="rgb24"))
                k += 1


def sampled_features(path: Path, embedder: FrameEmbedder, cfg: ExtractConfig) -> np.ndarray:
    """Features of ``path``'s frames at ``cfg.fps``, Sized [n_samples, embedder.width], float32."""

    def batches() -> Iterator[list]:
        crops = []
        for _, rgb in frames_at_rate(path, cfg.fps):
            crops.append(embedder.preprocess(rgb))
            if len(crops) == cfg.batch_size:
                yield crops
                crops = []
        if crops:
            yield crops

    parts = list(embedder.embed_batches(batches()))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.width), np.float32)


def extract_one(job: ExtractJob, embedder: FrameEmbedder, cfg: ExtractConfig) -> ExtractResult:
    """Extract one video into ``job.target`` (atomically). A video that cannot be read gives a result
    with its error instead of raising, so a collection goes on past it."""
    try:
        features = sampled_features(job.source, embedder, cfg)
        if len(features) == 0:
            return ExtractResult(job.video_id, 0, f"{job.source}: no frames decoded")
        with atomic_stream(job.target) as stream:
            np.savez(stream, **{FEATURE_KEY: features.astype(np.float32)})
    except ProjectError as error:  # VideoOpenError, VideoDecodeError; OutputError (a full disk) too
        return ExtractResult(job.video_id, 0, str(error))
    return ExtractResult(job.video_id, len(features))


JobRunner = Callable[[Sequence[ExtractJob], ExtractConfig], Iterable[ExtractResult]]


def prepare_embedder(embedder: FrameEmbedder, cfg: ExtractConfig) -> FrameEmbedder:
    """The embedder set to the settings' route (exact or not), after checking it runs their backbone."""
    if embedder.spec.backbone is not cfg.backbone:
        raise ValueError(f"the embedder runs {embedder.spec.title}, the settings ask for {cfg.backbone.value}")
    embedder.match_reference_exactly(cfg.exact)
    return embedder


def local_runner(embedder: FrameEmbedder) -> JobRunner:
    """Runs the jobs here, one after another, with one embedder (the default)."""

    def run(jobs: Sequence[ExtractJob], cfg: ExtractConfig) -> Iterator[ExtractResult]:
        prepare_embedder(embedder, cfg)
        for job in jobs:
            yield extract_one(job, embedder, cfg)

    return run


def _extract_on_worker(embedder: FrameEmbedder, job: ExtractJob, cfg: ExtractConfig) -> ExtractResult:
    """A Ray worker's per-video step: the sequential run's, with the embedder the worker holds."""
    return extract_one(job, prepare_embedder(embedder, cfg), cfg)


def _lost(job: ExtractJob, error: str) -> ExtractResult:
    return ExtractResult(job.video_id, 0, f"{job.source}: the worker extracting it stopped ({error})")


def ray_runner(load: Callable[[], FrameEmbedder | None], config: PoolConfig) -> JobRunner:
    """Runs the jobs on Ray workers, each holding the embedder ``load`` builds (once per worker).

    Args:
        load: the sequential run's loader, pickled to the workers (a module-level function or a
            functools.partial of one); returns None after logging why it could not.

    Raises (when iterated):
        WorkersUnavailable: no worker could load the embedder (no video was started).
    """

    def run(jobs: Sequence[ExtractJob], cfg: ExtractConfig) -> Iterator[ExtractResult]:
        if jobs:
            yield from run_on_ray(load, partial(_extract_on_worker, cfg=cfg), jobs, config, _lost)

    return run


def extract_videos(videos: Sequence[Path], out_dir: Path, cfg: ExtractConfig, runner: JobRunner, redo: bool = False) -> ExtractSummary:
    """Extract every video not yet in ``out_dir`` (every video with ``redo``); returns what was done, skipped and failed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs, skipped = plan_jobs(videos, out_dir, redo)
    summary = ExtractSummary(skipped=skipped)
    bar = progress_bar(total=len(jobs), desc=f"features at {cfg.fps:g} fps", unit="video", shown=cfg.progress)
    for result in runner(jobs, cfg):
        if result.error is None:
            summary.done.append(result.video_id)
        else:
            summary.failed[result.video_id] = result.error
        bar.update()
    bar.close()
    return summary

