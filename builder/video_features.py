"""One video's features, picks and shots: the same streaming decode, frame embedder and KTS routes as
generate_video (features.analysis, features.shots), so a built file and a summary video
see the same numbers. Never a whole video in memory: frames are dropped as soon as they are embedded.
"""

from __future__ import annotations

import time
from pathlib import Path

from builder.errors import BuildError
from builder.kept_parts import VideoPart
from features.analysis import analyse_video
from features.embedder import FrameEmbedder
from features.segmentation import Segmentation
from features.shots import find_shots, model_inputs
from video.reader import probe
from video.timing import FrameClock

# Frames per CNN batch when none is asked for: bigger is not faster on a CPU (summarize.runner's choice).
CPU_BATCH, CUDA_BATCH = 8, 64


def extract_video(source: Path, embedder: FrameEmbedder, stride: int, route: Segmentation, batch_size: int | None = None,
                  progress: bool = True) -> VideoPart:
    """Decode ``source`` once; features at every ``stride``-th frame, shots by ``route``, each frame's time.

    Raises:
        VideoOpenError, VideoDecodeError: the file cannot be read (the build lists it and goes on).
        BuildError: fewer frames than one step needs.
    """
    info = probe(source)
    embed_every = route.frames_between_embeddings(stride)
    batch = batch_size or (CUDA_BATCH if embedder.device.type == "cuda" else CPU_BATCH)
    embedder.match_reference_exactly(route is Segmentation.FULL)
    started = time.perf_counter()
    analysis = analyse_video(source, embedder, embed_every, batch, info.reported_frames, progress)
    decoded = time.perf_counter()
    if analysis.n_frames < stride:
        raise BuildError(f"{source}: only {analysis.n_frames} frame(s) could be decoded; a video needs at least {stride} "
                         f"(one step of --stride {stride})")
    shots = find_shots(analysis, route, stride)
    segmented = time.perf_counter()
    features, picks = model_inputs(analysis, stride)
    clock = FrameClock.from_times(analysis.times, info.frame_rate)
    return VideoPart(
        source=source.name, features=features, picks=picks, n_frames=analysis.n_frames, fps=info.fps,
        change_points=shots, times=clock.starts - clock.starts[0],
        seconds={"decode_embed": decoded - started, "kts": segmented - decoded},
    )
