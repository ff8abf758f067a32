"""Memory and time of streaming a Mr.HiSum-sized set, and of training a method on it, on this machine.

    python -m cli.synthetic_data --dataset MrHiSum --out /tmp/mrhisum_full --videos 31892          # the real size, 1024-d
    python bench/bench_replay_memory.py --data-dir /tmp/mrhisum_full --workers 2 --marks 1000 8000 31892 --train-videos 20

1. Opening: the three splits checked and indexed (dataset/replay.py: every video's labels read and checked,
   the features' shapes read), timed, with this process's resident memory before and after.
2. Streaming: one pass over every video of the three splits in a DataLoader with ``--workers`` workers
   (sources/streaming.stream_records, as training and scoring read them: a record at a time, nothing kept),
   timed; the PSS of this process and its workers (/proc, shared pages counted once) is sampled every
   ``--sample-every`` videos and printed at each of ``--marks``: memory that grew with the videos read would
   show there.
3. Training: ``--method`` (default CSTA, trunk from random weights: the time is the same) over the first
   ``--train-videos`` training videos, streamed, timed after one warm-up video, one video per optimiser step,
   on ``--device`` (default: CUDA when present, else the CPU; CUDA is synchronised before each clock reading);
   the seconds per row times the training split's rows (``--epoch-videos N``: N videos of the measured split's
   mean length, e.g. 27892 for the real Mr.HiSum from a smaller synthetic set) extrapolates one epoch on THAT
   device. Said as an extrapolation: a video's cost grows with its length, faster than linearly where attention
   over T x T dominates.

On a GPU machine, without the 25 GB full set (a 1,000-video set takes about 20 s to make):

    python -m cli.synthetic_data --dataset MrHiSum --out /tmp/mrhisum_1000 --videos 1000
    python bench/bench_replay_memory.py --data-dir /tmp/mrhisum_1000 --marks --train-videos 200 --epoch-videos 27892
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from dataset.replay import ReplayDataset, ReplaySplit
from engine.evaluate.model_scores import DeviceVideo
from engine.train.epoch import EpochSteps, train_epoch
from engine.train.run_config import sized_for_features
from models.backbone import BackboneInit
from models.methods import method_spec
from sources.mrhisum import MRHISUM_SOURCE, mrhisum_files
from sources.replay.data import ReplayRequest
from sources.streaming import stream_records
from utils.process_memory import peak_resident_mb, resident_mb
from utils.runtime import seed_everything, select_device, synchronise


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="Mr.HiSum in either layout (cli.synthetic_data --dataset MrHiSum)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers (default 2)")
    parser.add_argument("--sample-every", type=int, default=500, help="videos between memory samples (default 500)")
    parser.add_argument("--marks", type=int, nargs="*", default=[1000, 8000, 31892], help="videos read at which the memory is printed")
    parser.add_argument("--method", default="CSTA", help="the method timed for the epoch estimate (default CSTA)")
    parser.add_argument("--train-videos", type=int, default=20, help="training videos timed for the epoch estimate (0: skip)")
    parser.add_argument("--device", help="where the training is timed (default: CUDA when present, else the CPU)")
    parser.add_argument("--epoch-videos", type=int,
                        help="extrapolate to an epoch of this many training videos of the measured split's mean length "
                        "(default: the data's own training split)")
    return parser.parse_args(argv)


def stream(splits: list[ReplayDataset], workers: int, sample_every: int, marks: list[int]) -> None:
    total = sum(len(split) for split in splits)
    print(f"streaming {total} videos with {workers} worker(s); memory (this process's RSS / PSS with its workers):")
    seen = rows = 0
    peak = 0.0
    start = time.perf_counter()
    for split in splits:
        for record in stream_records(split, workers=workers):
            seen += 1
            rows += record.n_steps
            if seen % sample_every == 0 or seen == total or seen in marks:
                own, together = resident_mb()
                peak = max(peak, together)
                if seen in marks or seen == total or seen % (sample_every * 10) == 0:
                    print(f"  {seen:6d} videos ({rows:9d} rows) {time.perf_counter() - start:7.1f} s  {own:7.0f} MB / {together:7.0f} MB")
    elapsed = time.perf_counter() - start
    print(f"streamed {seen} videos, {rows} rows in {elapsed:.1f} s ({seen / elapsed:.0f} videos/s, {elapsed / seen * 1000:.1f} ms/video); "
          f"peak sampled PSS {peak:.0f} MB (with workers); this process's VmHWM {peak_resident_mb():.0f} MB")


def train_estimate(train: ReplayDataset, method: str, n_videos: int, workers: int, device: torch.device,
                   epoch_videos: int | None) -> None:
    seed_everything(0)
    spec = method_spec(method)
    config = sized_for_features(spec.default_config(), train.index.feature_dim)
    model = spec.build(config, BackboneInit.RANDOM if spec.uses_backbone else None, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    steps = EpochSteps(spec.loss, 1, spec.protocol.grad_clip_norm, spec.protocol.shuffle, None, spec.protocol.loss_average)
    videos = [DeviceVideo(r, torch.from_numpy(r.features).to(device), torch.from_numpy(r.gtscore).to(device))
              for r in stream_records(train, list(range(min(n_videos + 1, len(train)))), workers)]
    train_epoch(model, optimizer, videos[:1], steps)  # warm-up
    synchronise(device)
    start = time.perf_counter()
    train_epoch(model, optimizer, videos[1:], steps)
    synchronise(device)
    elapsed = time.perf_counter() - start
    rows = sum(v.record.n_steps for v in videos[1:])
    total = int(train.index.lengths.sum())
    target = f"the {len(train)} training videos ({total} rows)"
    if epoch_videos is not None:
        total = round(total / len(train) * epoch_videos)
        target = f"{epoch_videos} training videos of this split's mean length ({total} rows)"
    where = (f"{torch.cuda.get_device_name(device)} (torch {torch.__version__}, CUDA {torch.version.cuda})" if device.type == "cuda"
             else f"CPU ({torch.get_num_threads()} threads; load average {', '.join(f'{v:.1f}' for v in os.getloadavg())})")
    print(f"{method} training on {where}: {len(videos) - 1} videos, {rows} rows in {elapsed:.1f} s "
          f"({elapsed / (len(videos) - 1):.3f} s/video, {1000 * elapsed / rows:.3f} ms/row); EXTRAPOLATED to {target}: "
          f"{elapsed / rows * total / 3600:.2f} h per epoch on this device (an estimate from a measured slice)")


def main(args: argparse.Namespace) -> None:
    own, _ = resident_mb()
    start = time.perf_counter()
    files = mrhisum_files(args.data_dir, {})
    request = ReplayRequest(MRHISUM_SOURCE, files, "mrhisum", None, args.workers)
    splits = [request.split(split) for split in ReplaySplit]
    after, _ = resident_mb()
    label = "SYNTHETIC " if files.synthetic() else ""
    rows = sum(int(split.index.lengths.sum()) for split in splits)
    print(f"{label}Mr.HiSum ({files.layout.value} layout) at {args.data_dir}: " + ", ".join(f"{s.index.split.label} {len(s)}" for s in splits)
          + f" videos, {rows} rows, {splits[0].index.feature_dim}-d; checked and indexed in {time.perf_counter() - start:.1f} s, "
          f"resident memory {own:.0f} -> {after:.0f} MB")
    stream(splits, args.workers, args.sample_every, args.marks)
    if args.train_videos > 0:
        train_estimate(splits[0], args.method, args.train_videos, args.workers, select_device(args.device), args.epoch_videos)


if __name__ == "__main__":
    main(parse_args())
