"""Memory and time of streaming a VideoXum-sized set, and of training CSTA on it.

    python -m cli.synthetic_videoxum --out /tmp/videoxum --videos 14001 --features googlenet --dim 1024
    python bench/bench_videoxum_memory.py --data-dir /tmp/videoxum --features googlenet --workers 2 --train-videos 40

1. Streaming: one pass over every video of the three splits through a DataLoader with workers
   (dataset.videoxum.VideoXumDataset, a record at a time, nothing kept), timed; this process's
   resident memory and the PSS of it with its workers (/proc) are sampled every ``--sample-every`` videos, so
   a set that were held in memory would show as memory growing with the videos read.
2. Training: CSTA's training loop (engine.train.loop.train_epoch: one video per optimizer step) over
   the first ``--train-videos`` training videos, timed after one warm-up video; the seconds per
   frame (1 fps step) times the training split's total frames (from the annotations) extrapolates
   one epoch. The extrapolation is said as such in the output: the cost of a video grows with its
   length, and longer than linearly where attention over T x T dominates.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch
import torch.utils.data

from dataset.videoxum import VideoXumDataset, VideoXumSplit
from engine.evaluate.model_scores import to_device
from engine.train.loop import train_epoch
from models.backbone import BackboneInit
from models.csta import build_csta
from utils.process_memory import peak_resident_mb, resident_mb
from utils.runtime import seed_everything


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="VideoXum layout (anno/, feat/)")
    parser.add_argument("--features", default="googlenet", help="feature folder under feat/ (CSTA needs d = 1024 today)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers (default 2)")
    parser.add_argument("--sample-every", type=int, default=1000, help="videos between memory samples (default 1000)")
    parser.add_argument("--train-videos", type=int, default=40, help="training videos timed for the epoch estimate (0: skip)")
    return parser.parse_args(argv)


def stream(datasets: list[VideoXumDataset], workers: int, sample_every: int) -> None:
    total_videos = sum(len(d) for d in datasets)
    print(f"streaming {total_videos} videos with {workers} worker(s); memory (this process's RSS / PSS with workers):")
    seen = frames = 0
    peak = 0.0
    start = time.perf_counter()
    for dataset in datasets:
        loader = torch.utils.data.DataLoader(dataset, batch_size=None, shuffle=dataset.split is VideoXumSplit.TRAIN, num_workers=workers)
        for record in loader:
            seen += 1
            frames += record.n_steps
            if seen % sample_every == 0 or seen == total_videos:
                own, together = resident_mb()
                peak = max(peak, together)
                print(f"  {seen:6d} videos ({frames:8d} frames) {time.perf_counter() - start:7.1f} s  {own:7.0f} MB / {together:7.0f} MB")
    elapsed = time.perf_counter() - start
    print(f"streamed {seen} videos, {frames} frames in {elapsed:.1f} s ({seen / elapsed:.0f} videos/s); "
          f"peak sampled PSS {peak:.0f} MB (with workers); this process's VmHWM {peak_resident_mb():.0f} MB")


def train_estimate(train: VideoXumDataset, n_videos: int) -> None:
    seed_everything(0)
    model = build_csta(BackboneInit.RANDOM)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    records = [train[i] for i in range(min(n_videos + 1, len(train)))]
    train_epoch(model, optimizer, to_device(records[:1], torch.device("cpu")))  # warm-up
    timed = to_device(records[1:], torch.device("cpu"))
    start = time.perf_counter()
    train_epoch(model, optimizer, timed)
    elapsed = time.perf_counter() - start
    frames = sum(v.record.n_steps for v in timed)
    total_frames = int(train.annotations.n_frames().sum())
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"CSTA training on CPU ({torch.get_num_threads()} threads; load average {load}): {len(timed)} videos, {frames} frames in {elapsed:.1f} s "
          f"({elapsed / len(timed):.2f} s/video, {1000 * elapsed / frames:.2f} ms/frame); EXTRAPOLATED to the "
          f"{len(train)} training videos ({total_frames} frames): {elapsed / frames * total_frames / 60:.0f} min per epoch")


def main(args: argparse.Namespace) -> None:
    own, _ = resident_mb()
    start = time.perf_counter()
    datasets = [VideoXumDataset(args.data_dir, split, args.features) for split in VideoXumSplit]
    label = "SYNTHETIC " if datasets[0].synthetic else ""
    after, _ = resident_mb()
    print(f"{label}VideoXum layout at {args.data_dir}: " + ", ".join(f"{d.split.value} {len(d)}" for d in datasets)
          + f" videos; annotations read and feature files checked in {time.perf_counter() - start:.1f} s, "
          f"resident memory {own:.0f} -> {after:.0f} MB")
    stream(datasets, args.workers, args.sample_every)
    if args.train_videos > 0:
        train_estimate(datasets[0], args.train_videos)


if __name__ == "__main__":
    main(parse_args())
