"""Frames per second of build_dataset.py and the share of time per stage (decode, embed, KTS, write).

    TORCH_HOME=/tmp/th python -m cli.stand_in      # once: a stand-in GoogLeNet of the real one's cost
    TORCH_HOME=/tmp/th python bench/bench_dataset_build.py [--videos 3 --seconds 60 --size 640x360 --route fast]
    TORCH_HOME=/tmp/th python bench/bench_dataset_build.py --memory 30 120     # peak memory against length

Generated clips (scenes with hard cuts) are built into one h5 exactly as build_dataset.py does it
(builder.build with the same extractor), in this process, after the networks are loaded. The network's
calls are timed inside the build; the rest of the feature pass is decoding, RGB conversion,
thumbnails and preprocessing, which run in a thread beside the network, so decoding is also timed
alone (every frame decoded, the sampled ones converted to RGB, a thumbnail of each). KTS includes
the refinement on thumbnails; writing, the parts and the final file.

--memory N M ...: one child process per clip length (seconds), each building one clip, reporting
its own peak resident memory; flat figures mean memory does not grow with the video's length.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_clips(folder: Path, count: int, seconds: float, size: tuple[int, int]) -> list[Path]:
    from video.synthetic import write_demo_video

    clips = []
    for index in range(count):
        path = folder / f"clip_{index}.mp4"
        scenes = max(2, int(seconds // 5))
        write_demo_video(path, scenes=scenes, seconds_per_scene=seconds / scenes, fps=30, size=size, audio=False, seed=index)
        clips.append(path)
    return clips


def decode_alone(clips: list[Path], stride: int) -> float:
    """Seconds to decode every frame of the clips, convert the sampled ones to RGB and thumbnail each, nothing else."""
    from features.frames import sampled_frames

    started = time.perf_counter()
    for clip in clips:
        for _ in sampled_frames(clip, stride):
            pass
    return time.perf_counter() - started


class TimedEmbed:
    """Wraps an embedder's ``embed`` to add up the seconds spent in the network (preprocessing excluded)."""

    def __init__(self, embedder) -> None:  # noqa: ANN001 - a FrameEmbedder
        self.seconds = 0.0
        self._embed = embedder.embed
        embedder.embed = self

    def __call__(self, crops):  # noqa: ANN001, ANN204
        started = time.perf_counter()
        try:
            return self._embed(crops)
        finally:
            self.seconds += time.perf_counter() - started


def bench_build(args: argparse.Namespace) -> dict:
    from builder.build import build, local_map
    from builder.build_plan import plan_build
    from builder.settings import BuildConfig, frame_transform
    from builder.video_features import extract_video
    from features.embedder import BackboneSource, load_frame_embedder
    from features.segmentation import Segmentation
    from utils.runtime import select_device

    route = Segmentation(args.route)
    width, height = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = make_clips(folder / "videos", args.videos, args.seconds, (width, height))
        source = BackboneSource.RANDOM if args.random_backbone else BackboneSource.IMAGENET
        embedder = load_frame_embedder(source, select_device(args.device), None)
        cfg = BuildConfig(inputs=(folder / "videos",), out=folder / "bench.h5", route=route, progress=False)
        embedder.transform = frame_transform(cfg.preprocess, embedder.spec.weights)
        plan = plan_build(cfg)
        load_before = os.getloadavg()[0]
        timed = TimedEmbed(embedder)
        started = time.perf_counter()
        report = build(cfg, plan, local_map(lambda v: extract_video(v, embedder, cfg.stride, route, None, False)),
                       embedder.description, embedder.origin.value)
        total = time.perf_counter() - started
        load_between = os.getloadavg()[0]
        decode = decode_alone(clips, cfg.stride if route is Segmentation.FAST else 1)
        load_after = os.getloadavg()[0]
    stages = {"network (GoogLeNet)": timed.seconds, "decode and the rest of the feature pass": report.seconds["decode_embed"] - timed.seconds,
              "kts": report.seconds["kts"], "write": report.seconds["write"]}
    frames = report.frames
    return {
        "videos": args.videos, "seconds_each": args.seconds, "size": args.size, "route": route.value,
        "backbone": embedder.description, "device": str(embedder.device), "frames": frames,
        "build_seconds": round(total, 2), "frames_per_second": round(frames / total, 1),
        "stages_in_the_build_s": {k: round(v, 2) for k, v in stages.items()},
        "share_of_build": {k: f"{100 * v / total:.0f}%" for k, v in stages.items()},
        "decoding_alone_s": round(decode, 2),
        "load_average_1min": [round(x, 1) for x in (load_before, load_between, load_after)],
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }


def child_memory(seconds: float, size: str, random_backbone: bool) -> dict:
    """One child process builds one clip of ``seconds`` (written by another child first) and reports its own peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        width, height = map(int, size.split("x"))
        make_clips(Path(tmp) / "videos", 1, seconds, (width, height))
        argv = [str(Path(tmp) / "videos"), "--out", str(Path(tmp) / "m.h5"), "--quiet"] + (["--random-backbone"] if random_backbone else [])
        code = ("import resource, runpy, sys\n"
                f"sys.argv = ['build_dataset.py', *{argv!r}]\n"
                "try:\n    runpy.run_path('build_dataset.py', run_name='__main__')\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
    return {"seconds_of_video": seconds, "wall_s": round(wall, 1), "peak_rss_gb": round(int(result.stdout.split()[-1]) / 2**20, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--route", choices=["fast", "full"], default="fast")
    parser.add_argument("--device")
    parser.add_argument("--random-backbone", action="store_true", help="random GoogLeNet (same cost) instead of the cached ImageNet file")
    parser.add_argument("--memory", type=float, nargs="+", metavar="SECONDS", help="peak memory of one build per clip length, shortest first")
    args = parser.parse_args()
    if args.memory:
        for seconds in sorted(args.memory):
            print(json.dumps(child_memory(seconds, args.size, args.random_backbone)))
        return
    print(json.dumps(bench_build(args), indent=2))


if __name__ == "__main__":
    main()
