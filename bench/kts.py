"""Time and peak memory of KTS on synthetic features with planted shots, and how the fast route
agrees with the exact one.

    python bench/kts.py                       # n = 500 ... 18,000, 1024-d features
    python bench/kts.py --sizes 500 1000 --agreement-sizes 1000

Features: one random non-negative 1024-d vector per shot (shots of 1 to 10 seconds at 30 fps),
plus per-frame noise, L2-normalised, float32, as the video pipeline makes them. Peak memory is
what Python allocations (numpy included) reached during the call, measured by tracemalloc.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from kts import detect_change_points


def planted_features(n: int, seed: int, dim: int = 1024, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cuts, position = [], 0
    while True:
        position += int(rng.integers(30, 300))
        if position >= n:
            break
        cuts.append(position)
    bases = np.abs(rng.standard_normal((len(cuts) + 1, dim))).astype(np.float32)
    x = np.repeat(bases, np.diff([0, *cuts, n]), axis=0)
    x += noise * np.abs(rng.standard_normal((n, dim))).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.asarray(cuts)


def measure(features: np.ndarray, mode: str) -> tuple[np.ndarray, float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    points = detect_change_points(features, mode=mode)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return points, seconds, peak


def agreement(exact: np.ndarray, fast: np.ndarray) -> str:
    if len(exact) == 0 or len(fast) == 0:
        return f"exact {len(exact)} / fast {len(fast)} change points"
    distance = np.abs(fast[:, None] - exact[None, :]).min(axis=1)
    return (f"exact {len(exact)} / fast {len(fast)} change points; fast ones at the same frame: "
            f"{np.mean(distance == 0):.0%}, within 5 frames: {np.mean(distance <= 5):.0%}, max distance {distance.max()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000, 18000], help="frame counts to time (default mode: auto)")
    parser.add_argument("--agreement-sizes", type=int, nargs="+", default=[1000, 2000, 3000], help="frame counts where exact and fast are compared")
    parser.add_argument("--agreement-noise", type=float, nargs="+", default=[0.5, 3.0], help="per-frame noise levels for the comparison (shots are ~1.2 in the same units)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic features")
    args = parser.parse_args(argv)

    print("n frames | mode  | seconds | peak MiB | change points (planted cuts)")
    times = []
    for n in args.sizes:
        features, cuts = planted_features(n, args.seed)
        mode = "exact" if n <= 2000 else "fast"
        points, seconds, peak = measure(features, "auto")
        times.append(seconds)
        print(f"{n:8d} | {mode:5s} | {seconds:7.2f} | {peak:8.0f} | {len(points)} ({len(cuts)})")
    if len(args.sizes) > 1:
        slope = np.polyfit(np.log(args.sizes), np.log(times), 1)[0]
        print(f"growth exponent (time ~ n^k, least squares over the sizes above): k = {slope:.2f}")
    for noise in args.agreement_noise:
        for n in args.agreement_sizes:
            features, _ = planted_features(n, args.seed + 1, noise=noise)
            exact, exact_s, _ = measure(features, "exact")
            fast, fast_s, _ = measure(features, "fast")
            print(f"agreement, noise {noise}, n={n} (exact {exact_s:.1f} s, fast {fast_s:.2f} s): {agreement(exact, fast)}")


if __name__ == "__main__":
    main()
