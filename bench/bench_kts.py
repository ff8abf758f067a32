"""Time and peak memory of KTS on synthetic features with planted shots, how the fast route agrees
with the exact one, and how fast the exact route is against the reference's algorithm.

    python bench/bench_kts.py                       # everything (the reference at 5,000 frames takes minutes)
    python bench/bench_kts.py --sizes 500 1000 --agreement-sizes 1000 --reference-sizes 1000

Features: one random non-negative 1024-d vector per shot (shots of 1 to 10 seconds at 30 fps),
plus per-frame noise, L2-normalised, float32, as the video pipeline makes them. Peak memory is
what Python allocations (numpy included) reached during the call, measured by tracemalloc.

Against the reference: ``reference_cpd_auto`` below runs the field's KTS algorithm the way its
code does (a Python loop over segment ends for every count up to n - 1, then again for the
chosen count; written here, not copied, without its progress bars). Both sides start from the
features: kernel X X^T, then KTS. Times are the best of a few runs, interleaved (wall clock and
process CPU time); the change points must be equal.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from kts import cpd_auto, detect_change_points


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


def reference_scatters(kernel: np.ndarray) -> np.ndarray:
    """[i, j]: scatter of frames i..j, computed as the reference does (its layout and rounding)."""
    n = kernel.shape[0]
    trace = np.concatenate([[0.0], np.cumsum(np.diag(kernel).astype(np.float64))])
    block = np.zeros((n + 1, n + 1))
    block[1:, 1:] = np.cumsum(np.cumsum(kernel, axis=0), axis=1)
    square = np.diag(block)
    start, end = np.arange(n)[:, None], np.arange(n)[None, :]
    length = (end - start + 1).astype(np.float32) + (end == start - 1).astype(np.float32)
    scatters = (trace[1:][None, :] - trace[:-1][:, None]
                - (square[1:][None, :] + square[:-1][:, None] - block[1:, :-1].T - block[:-1, 1:]) / length)
    scatters[end < start] = 0
    return scatters


def reference_table(scatters: np.ndarray, ncp: int, backtrack: bool) -> tuple[np.ndarray, np.ndarray]:
    """The dynamic program as the reference runs it: one numpy call per (count, end frame)."""
    n = scatters.shape[0]
    best = np.full((ncp + 1, n + 1), 1e101)
    best[0, 1:n + 1] = scatters[0, :n]
    choice = np.zeros((ncp + 1, n + 1), dtype=int)
    for k in range(1, ncp + 1):
        for covered in range(k + 1, n + 1):
            candidates = scatters[k:covered, covered - 1] + best[k - 1, k:covered]
            best[k, covered] = np.min(candidates)
            if backtrack:
                choice[k, covered] = np.argmin(candidates) + k
    points, end = np.zeros(ncp, dtype=int), n
    for k in range(ncp, 0, -1):
        points[k - 1] = end = choice[k, end]
    costs = best[:, n].copy()
    costs[costs > 1e99] = np.inf
    return points, costs


def reference_cpd_auto(kernel: np.ndarray, ncp: int, vmax: float) -> tuple[np.ndarray, np.ndarray]:
    """The reference's automatic count (lmin 1, no lmax), its two passes included."""
    n = kernel.shape[0]
    _, costs = reference_table(reference_scatters(kernel), ncp, backtrack=False)
    counts = np.arange(1, ncp + 1)
    penalty = np.concatenate([[0.0], (vmax * counts / (2.0 * n)) * (np.log(float(n) / counts) + 1)])
    chosen = int(np.argmin(costs / float(n) + penalty))
    return reference_table(reference_scatters(kernel), chosen, backtrack=True)


def measure(features: np.ndarray, mode: str) -> tuple[np.ndarray, float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    points = detect_change_points(features, mode=mode)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return points, seconds, peak


def timed(run) -> tuple[np.ndarray, float, float]:
    """(result, wall seconds, CPU seconds of the whole process, BLAS threads included)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def against_reference(n: int, seed: int, repeats: int) -> str:
    """One table row: our exact route and the reference's algorithm on the same features."""
    features, _ = planted_features(n, seed)
    kernel_runs, ours_runs, ours_kts_runs, reference_runs = [], [], [], []
    for attempt in range(repeats):
        # as the official video_helper.py: np.matmul of two copies of the features (a general product, not syrk)
        kernel_runs.append(timed(lambda: np.matmul(features.copy(), features.copy().T)))
        kernel = kernel_runs[-1][0]
        ours_runs.append(timed(lambda: detect_change_points(features, mode="exact")))
        ours_kts_runs.append(timed(lambda k=kernel: cpd_auto(k, n - 1, 1.0)[0]))
        if attempt < max(1, repeats // 3) or n <= 1000:  # the reference takes minutes at 5,000
            reference_runs.append(timed(lambda k=kernel: reference_cpd_auto(k, n - 1, 1.0)[0]))

    def best(runs: list, which: int) -> float:
        return min(run[which] for run in runs)

    ours = best(ours_runs, 1), best(ours_runs, 2)
    reference = tuple(best(kernel_runs, i) + best(reference_runs, i) for i in (1, 2))  # kernel + KTS
    kts_ratio = best(ours_kts_runs, 2) / best(reference_runs, 2)
    reference_points = reference_runs[0][0]
    same = all(np.array_equal(run[0], reference_points) for run in ours_runs + ours_kts_runs + reference_runs)
    return (f"{n:6d} | {ours[0]:8.4f} {ours[1]:8.4f} | {reference[0]:9.2f} {reference[1]:9.2f} | "
            f"{ours[0] / reference[0]:.4f} {ours[1] / reference[1]:.4f} | {kts_ratio:.4f} | "
            f"{'yes' if same else 'NO'} ({len(reference_points)} change points)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 1000, 2000, 5000, 18000], help="frame counts to time (default mode: auto)")
    parser.add_argument("--agreement-sizes", type=int, nargs="*", default=[1000, 2000, 3000], help="frame counts where exact and fast are compared")
    parser.add_argument("--agreement-noise", type=float, nargs="+", default=[0.5, 3.0], help="per-frame noise levels for the comparison (shots are ~1.2 in the same units)")
    parser.add_argument("--reference-sizes", type=int, nargs="*", default=[1000, 5000], help="frame counts where the exact route is timed against the reference's algorithm")
    parser.add_argument("--repeats", type=int, default=5, help="runs of our side per reference size (best kept)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic features")
    args = parser.parse_args(argv)

    if args.sizes:
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
    if args.reference_sizes:
        print("exact route against the reference's algorithm (both from the features: kernel, then KTS)")
        print("     n | ours wall / CPU s  | reference wall / CPU s | ratio wall / CPU | KTS alone (CPU) | same change points")
        for n in args.reference_sizes:
            print(against_reference(n, args.seed, args.repeats), flush=True)


def agreement(exact: np.ndarray, fast: np.ndarray) -> str:
    if len(exact) == 0 or len(fast) == 0:
        return f"exact {len(exact)} / fast {len(fast)} change points"
    distance = np.abs(fast[:, None] - exact[None, :]).min(axis=1)
    return (f"exact {len(exact)} / fast {len(fast)} change points; fast ones at the same frame: "
            f"{np.mean(distance == 0):.0%}, within 5 frames: {np.mean(distance <= 5):.0%}, max distance {distance.max()}")


if __name__ == "__main__":
    main()
