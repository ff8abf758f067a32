"""The full route's network pass on the CPU: how soon the first batch is ready, and the cost per frame by batch size.

    TORCH_HOME=/tmp/th python -m cli.stand_in     # once, without the real ImageNet file
    TORCH_HOME=/tmp/th python bench/bench_exact_trunk.py
    TORCH_HOME=/tmp/th python bench/bench_exact_trunk.py --frames 400 --sizes 4 8 --rounds 3

Random 224 x 224 crops through FrameEmbedder.embed_batches on the exact route (features.exact_trunk),
as generate_video.py --segmentation full runs it: single-threaded workers, one per intra-op thread.

start: a fresh embedder each time, so its first batch decides the kernels: "quick" takes them from
PyTorch's choice for one-frame calls and confirms them on the first batch's features; "checked"
compares every layer with one-frame calls first (the way taken when the quick plan does not hold).
per frame: milliseconds of wall time per frame over the whole stream, after a warm-up, the sizes
interleaved round by round. The features must be the same in every case.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from features.embedder import BackboneSource, FrameEmbedder, load_frame_embedder
from features.exact_trunk import ExactBatchedTrunk


def exact_embedder(source: BackboneSource) -> FrameEmbedder:
    embedder = load_frame_embedder(source, torch.device("cpu"))
    embedder.match_reference_exactly(True)
    return embedder


def stream(embedder: FrameEmbedder, crops: list[torch.Tensor], size: int) -> tuple[float, float, np.ndarray]:
    """Seconds until the first batch's features, seconds for all, and the features."""
    started = time.perf_counter()
    first, parts = None, []
    for features in embedder.embed_batches([crops[i:i + size] for i in range(0, len(crops), size)]):
        first = first if first is not None else time.perf_counter() - started
        parts.append(features)
    return first, time.perf_counter() - started, np.concatenate(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 6, 8])
    parser.add_argument("--start-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--random-backbone", action="store_true", help="without the ImageNet file (or its stand-in)")
    args = parser.parse_args()
    source = BackboneSource.RANDOM if args.random_backbone else BackboneSource.IMAGENET
    generator = torch.Generator().manual_seed(0)
    crops = [torch.randn(3, 224, 224, generator=generator) for _ in range(args.frames)]
    print(f"{torch.get_num_threads()} intra-op threads, {args.frames} frames")

    quick_plan = ExactBatchedTrunk.assume_plan
    starts: dict[str, list[tuple[float, float]]] = {"quick": [], "checked": []}
    reference = None
    start_crops = crops[:12 * args.start_size]
    for round_ in range(args.rounds):
        for way in ("quick", "checked") if round_ % 2 == 0 else ("checked", "quick"):
            ExactBatchedTrunk.assume_plan = quick_plan if way == "quick" else (lambda self, size, threads: False)
            try:
                first, total, features = stream(exact_embedder(source), start_crops, args.start_size)
            finally:
                ExactBatchedTrunk.assume_plan = quick_plan
            reference = features if reference is None else reference
            if not np.array_equal(features, reference):
                raise SystemExit(f"the {way} start gave other features")
            starts[way].append((first, total))
    for way, runs in starts.items():
        print(f"start, {way:7}: first batch of {args.start_size} after " + ", ".join(f"{a:.3f}" for a, _ in runs)
              + f" s; {len(start_crops)} frames in " + ", ".join(f"{b:.3f}" for _, b in runs) + " s")

    embedder = exact_embedder(source)
    per_frame: dict[int, list[float]] = {size: [] for size in args.sizes}
    expected = None
    for size in args.sizes:  # warm-up: each size's kernels decided
        stream(embedder, crops[:2 * size], size)
    for round_ in range(args.rounds):
        for size in args.sizes if round_ % 2 == 0 else args.sizes[::-1]:
            _, total, features = stream(embedder, crops, size)
            expected = features if expected is None else expected
            if not np.array_equal(features, expected):
                raise SystemExit(f"batches of {size} gave other features")
            per_frame[size].append(total / len(crops) * 1e3)
    for size, values in per_frame.items():
        print(f"batches of {size}: " + ", ".join(f"{v:.2f}" for v in values) + " ms per frame")


if __name__ == "__main__":
    main()
