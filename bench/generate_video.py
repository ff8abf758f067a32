"""Time, peak memory and shot agreement of generate_video.py's two segmentation routes.

    python bench/generate_video.py                         # a generated 60 s 640x360 30 fps clip
    python bench/generate_video.py --video my.mp4 --weights weights/SumMe/split4.pt --routes fast

Each route runs in its own process (so its peak resident memory is its own). Without --weights
a randomly initialised CSTA checkpoint is written and used; without real ImageNet weights in the
torch cache, pass --random-backbone (the figures are then about speed, not summaries). With a
generated clip, the shots each route finds are compared with the clip's known cuts.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def run_child(argv: list[str]) -> None:
    """Inside the child process: run generate_video and report time and peak memory as JSON."""
    import generate_video

    start = time.perf_counter()
    code = generate_video.main(generate_video.parse_args(argv))
    print(json.dumps({"code": code, "seconds": time.perf_counter() - start,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def boundaries(record_path: Path) -> np.ndarray:
    shots = json.loads(record_path.read_text())["shots"]
    return np.array([shot["first_frame"] for shot in shots[1:]], dtype=int)


def compare(found: np.ndarray, reference: np.ndarray) -> str:
    if len(reference) == 0 or len(found) == 0:
        return f"{len(found)} boundaries vs {len(reference)}"
    distance = np.abs(reference[:, None] - found[None, :]).min(axis=1)
    return (f"{len(found)} boundaries vs {len(reference)}; of the latter, {np.mean(distance == 0):.0%} matched exactly, "
            f"{np.mean(distance <= 3):.0%} within 3 frames (max distance {distance.max()})")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        run_child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, help="video to summarise (default: generate a clip with known cuts)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the generated clip (default 60)")
    parser.add_argument("--scenes", type=int, default=12, help="scenes (hard cuts + 1) in the generated clip (default 12)")
    parser.add_argument("--size", default="640x360", help="frame size of the generated clip, WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--weights", type=Path, help="CSTA weights (default: a random checkpoint written for the bench)")
    parser.add_argument("--routes", nargs="+", choices=["fast", "full"], default=["fast", "full"], help="segmentation routes to run")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--random-backbone", action="store_true", help="random GoogLeNet (when no ImageNet file is cached)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench_generate_video_"))
    cuts = None
    video = args.video
    if video is None:
        from video.synthetic import write_demo_video

        video = work / "clip.mp4"
        seconds = args.seconds / args.scenes
        width, height = (int(n) for n in args.size.lower().split("x"))
        cuts = np.array(write_demo_video(video, scenes=args.scenes, seconds_per_scene=seconds, fps=30.0, size=(width, height)))
        print(f"generated {video}: {args.seconds:.0f} s, {width}x{height}, 30 fps, {args.scenes} scenes, cuts at {cuts.tolist()}")
    weights = args.weights
    if weights is None:
        import torch

        from models.backbone import BackboneInit
        from models.csta import build_csta

        torch.manual_seed(0)
        weights = work / "random_csta.pt"
        torch.save(build_csta(BackboneInit.RANDOM).state_dict(), weights)
        print(f"using a randomly initialised CSTA checkpoint ({weights}): timings only, the summary itself is arbitrary")

    found = {}
    for route in args.routes:
        out = work / route
        argv = [str(video), "--weights", str(weights), "--out", str(out), "--segmentation", route, "--device", args.device, "--quiet"]
        if args.random_backbone:
            argv.append("--random-backbone")
        result = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True, cwd=ROOT)
        if result.returncode != 0:
            print(result.stdout, result.stderr)
            raise SystemExit(f"route {route} failed")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        found[route] = boundaries(out / f"{video.stem}.json")
        print(f"{route:4s}: {figures['seconds']:.1f} s, peak {figures['peak_mib']:.0f} MiB, {len(found[route]) + 1} shots")
    if cuts is not None:
        for route, points in found.items():
            print(f"{route} vs the clip's cuts: {compare(points, cuts)}")
    if "fast" in found and "full" in found:
        print(f"fast vs full: {compare(found['fast'], found['full'])}")


if __name__ == "__main__":
    main()
