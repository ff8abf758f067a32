"""build_dataset.py --ray: the videos of a build spread over Ray workers, on this machine or a cluster.

The machinery is the project's Ray worker pool (utils.cluster.run_on_ray, also generate_video's
video library and the feature extractor's): each worker loads the frame embedder once, with the
loader of the run without Ray (builder.run.load_extractor), and at the same torch thread count, so
that its features are those of the sequential build bit for bit; videos are handed out one at a
time as workers free up. A worker sends back the video's part (features, picks, shots, frame times:
small arrays) and the driver keeps it in the build's parts folder at once, as the sequential loop
does: so resuming, the parts and the final file are the same with and without Ray. A video that
cannot be decoded comes back as its message; a worker that dies fails only the video it held. On a
cluster every node must see the videos at the same paths (a shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from builder.build import VIDEO_FAILURES, Extractor, VideoMap
from builder.errors import BuildError
from builder.kept_parts import VideoPart
from builder.settings import BuildConfig
from utils.cluster import PoolConfig, run_on_ray


@dataclass(frozen=True)
class VideoFailed:
    """Why a worker could not build a video (its error's message: exceptions do not always travel whole)."""

    message: str


def extract_one(extract: Extractor, source: Path) -> tuple[Path, VideoPart | VideoFailed]:
    """The work of one job in a worker (module level: Ray pickles it by name)."""
    try:
        return source, extract(source)
    except VIDEO_FAILURES as error:
        return source, VideoFailed(str(error))


def _lost(source: Path, error: str) -> tuple[Path, VideoFailed]:
    return source, VideoFailed(f"{source}: the worker building it stopped ({error})")


def ray_map(load: Callable[[], Extractor | None], cfg: BuildConfig) -> VideoMap:
    """A video map (builder.build.VideoMap) over Ray workers, each holding what ``load`` returns.

    Args:
        load: pickled to the workers (a module-level function or a functools.partial of one); returns
            None after logging why it could not load.

    The map raises utils.cluster.WorkersUnavailable when no worker could load the embedder (no
    video was started) and ConnectionError when no Ray answers at the address.
    """
    config = PoolConfig(address=cfg.ray_address, workers=cfg.ray_workers, use_gpus=cfg.device != "cpu")

    def on_ray(sources: list[Path]) -> Iterator[tuple[Path, VideoPart | BaseException]]:
        for source, outcome in run_on_ray(load, extract_one, sources, config, _lost):
            yield source, BuildError(outcome.message) if isinstance(outcome, VideoFailed) else outcome

    return on_ray
