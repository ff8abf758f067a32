"""How the fast segmentation route's shots compare with the full (reference) route's, on clips
with known hard cuts.

    python bench/bench_segmentation_routes.py [--clips 5 --seconds 60]

The comparison needs per-frame features in which cuts are visible. Real ImageNet GoogLeNet
features are (the routes are meant for them), but torchvision's ImageNet file cannot be had
offline, and a randomly initialised GoogLeNet gives features so alike (cosine 0.97-0.99 between
unrelated pictures) that KTS finds no cut at all in either route. So this bench uses a stand-in
descriptor with the same role: an L2-normalised 8 x 4 x 4 HSV colour histogram of every frame.
Both routes then run exactly as in generate_video.py: full = exact KTS on every frame's
descriptor; fast = KTS on every 15th frame's descriptor (desc_rate 15), each boundary placed at full
frame rate with the 12 x 8 thumbnails. What this measures is the sampling-and-refinement
approximation on real decoded video, not GoogLeNet's behaviour.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from features.frames import sampled_frames
from kts import detect_change_points, refine_change_points
from video.synthetic import write_demo_video

SAMPLE_RATE = 15


def colour_histogram(rgb: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).reshape(-1)
    return hist / (np.linalg.norm(hist) + 1e-10)


def describe(path: Path) -> tuple[np.ndarray, np.ndarray]:
    descriptors, thumbnails = [], []
    for small, rgb, _ in sampled_frames(path, 1):
        thumbnails.append(small)
        descriptors.append(colour_histogram(rgb))
    return np.stack(descriptors).astype(np.float32), np.stack(thumbnails).astype(np.float32)


def distances(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    if len(found) == 0:
        return np.full(len(truth), np.inf)
    return np.abs(truth[:, None] - found[None, :]).min(axis=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=5, help="generated clips (default 5)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each clip (default 60)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    folder = Path(tempfile.mkdtemp(prefix="bench_routes_"))
    totals = {"full": [], "fast": [], "agree": []}
    for clip in range(args.clips):
        scenes = int(rng.integers(6, 16))
        lengths = rng.dirichlet(np.ones(scenes)) * args.seconds  # uneven scenes, some only a second or two
        lengths = np.maximum(lengths, 0.5)
        path = folder / f"clip{clip}.mp4"
        cuts = np.array(write_demo_video(path, scenes=scenes, seconds_per_scene=list(lengths), fps=30.0, size=(320, 180), audio=False, seed=clip))
        features, thumbnails = describe(path)
        start = time.perf_counter()
        full = detect_change_points(features, mode="exact")
        full_s = time.perf_counter() - start
        start = time.perf_counter()
        coarse = detect_change_points(features[::SAMPLE_RATE], desc_rate=SAMPLE_RATE)
        fast = refine_change_points(coarse, SAMPLE_RATE, thumbnails)
        fast_s = time.perf_counter() - start
        d_full, d_fast = distances(full, cuts), distances(fast, cuts)
        totals["full"].append(d_full)
        totals["fast"].append(d_fast)
        totals["agree"].append(distances(fast, full) if len(full) else np.array([]))
        print(f"clip {clip}: {len(features)} frames, {len(cuts)} cuts | full: {len(full)} boundaries, "
              f"cuts found exactly {np.mean(d_full == 0):.0%}, within 3 frames {np.mean(d_full <= 3):.0%} ({full_s:.1f} s) | "
              f"fast: {len(fast)} boundaries, exactly {np.mean(d_fast == 0):.0%}, within 3 {np.mean(d_fast <= 3):.0%} ({fast_s:.2f} s)")
    agree = np.concatenate(totals["agree"])
    full_all, fast_all = np.concatenate(totals["full"]), np.concatenate(totals["fast"])
    print(f"all clips: cuts found exactly by full {np.mean(full_all == 0):.0%}, by fast {np.mean(fast_all == 0):.0%}; "
          f"full route's boundaries matched by fast: exactly {np.mean(agree == 0):.0%}, within 3 frames {np.mean(agree <= 3):.0%}")


if __name__ == "__main__":
    main()
