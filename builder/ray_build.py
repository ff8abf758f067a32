"""build_dataset.py --ray: the videos of a build spread over Ray workers, on this machine or a cluster.

The machinery is generate_video's video library (summarize.library.run_on_workers): each worker is
an actor that loads the frame embedder once, with the loader of the run without Ray
(builder.run.load_extractor), and at the same torch thread count, so that its features are those of
the sequential build bit for bit; videos are handed out one at a time as workers free up. A worker
sends back the video's part (features, picks, shots, frame times: small arrays) and the driver
keeps it in the build's parts folder at once, as the sequential loop does: so resuming, the parts
and the final file are the same with and without Ray. A video that cannot be decoded comes back as
its message; a worker that dies fails only the video it held. On a cluster every node must see the
videos at the same paths (a shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.build import VIDEO_FAILURES, Extractor, VideoMap
from builder.errors import BuildError
from builder.parts import VideoPart
from builder.settings import BuildConfig
from summarize.library import LibraryConfig, LibraryWorker, run_on_workers


@dataclass(frozen=True)
class VideoFailed:
    """Why a worker could not build a video (its error's message: exceptions do not always travel whole)."""

    message: str


class BuildWorker(LibraryWorker):
    """A Ray actor holding one extractor (``loaded``: what builder.run.load_extractor returned)."""

    def extract(self, source: Path) -> VideoPart | VideoFailed:
        try:
            return self.loaded(source)
        except VIDEO_FAILURES as error:
            return VideoFailed(str(error))


def ray_map(load: Callable[[], Extractor | None], cfg: BuildConfig) -> VideoMap:
    """A video map (builder.build.VideoMap) over Ray workers, each holding what ``load`` returns.

    Args:
        load: pickled to the workers (a module-level function or a functools.partial of one); returns
            None after logging why it could not load.

    The map raises summarize.library.WorkersUnavailable when no worker could load the embedder (no
    video was started) and ConnectionError when no Ray answers at the address.
    """
    config = LibraryConfig(address=cfg.ray_address, workers=cfg.ray_workers, use_gpus=cfg.device != "cpu")

    def lost(source: Path, error: Exception) -> VideoFailed:
        return VideoFailed(f"{source}: the worker building it stopped ({error})")

    def call(worker: Any, source: Path) -> Any:
        return worker.extract.remote(source)

    def on_ray(sources: list[Path]) -> Iterator[tuple[Path, VideoPart | BaseException]]:
        for source, outcome in run_on_workers(BuildWorker, load, sources, config, call, lost):
            yield source, BuildError(outcome.message) if isinstance(outcome, VideoFailed) else outcome

    return on_ray
