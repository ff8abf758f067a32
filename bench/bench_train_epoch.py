"""Seconds per training epoch and per video, for one dataset file and split.

    python bench/bench_train_epoch.py --dataset SumMe --data-dir data --split 1 --epochs 2

Times the same loop train.py runs (one video per optimizer step, then the test-set evaluation
with the full protocol), separately, after one untimed warm-up video.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from config import DATASETS, DEFAULT_DATA_DIR, TrainConfig
from dataset import load_benchmark, read_splits, select_splits
from engine.evaluate.model_scores import evaluate_model, to_device
from engine.train.loop import train_epoch
from models.backbone import BackboneInit
from models.csta import build_csta
from utils.runtime import seed_everything, select_device, synchronise


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=list(DATASETS), default="SumMe", help="dataset layout of the file")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with the h5 file (and ydata-anno.tsv for TVSum)")
    parser.add_argument("--split", type=int, default=1, help="split number (default 1)")
    parser.add_argument("--splits-file", type=Path, help="splits file (default: the official one)")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (default 2)")
    parser.add_argument("--device", help="torch device (default: CUDA when available)")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> None:
    spec = DATASETS[args.dataset]
    device = select_device(args.device)
    splits_path = args.splits_file or spec.splits_path()
    split = select_splits(read_splits(splits_path, spec), [args.split], splits_path)[0]
    benchmark = load_benchmark(spec, args.data_dir)
    seed_everything(TrainConfig().seed)
    model = build_csta(BackboneInit.RANDOM).to(device)  # the trunk's starting weights do not change the cost
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_videos = to_device(benchmark.subset(split.train_keys), device)
    test_videos = to_device(benchmark.subset(split.test_keys), device)
    train_epoch(model, optimizer, train_videos[:1])  # warm-up (allocator, cuDNN autotuning)
    steps = sum(v.record.n_steps for v in train_videos)
    label = " (SYNTHETIC data)" if benchmark.synthetic else ""
    print(f"{spec.name}{label} split {split.number} on {device}: {len(train_videos)} training videos ({steps} steps), "
          f"{len(test_videos)} test videos; torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    for epoch in range(1, args.epochs + 1):
        synchronise(device)
        start = time.perf_counter()
        train_epoch(model, optimizer, train_videos)
        synchronise(device)
        trained = time.perf_counter()
        evaluate_model(model, test_videos, spec)
        synchronise(device)
        evaluated = time.perf_counter()
        train_s, eval_s = trained - start, evaluated - trained
        print(f"epoch {epoch}: train {train_s:.2f} s ({train_s / len(train_videos):.3f} s/video), "
              f"evaluate {eval_s:.2f} s ({eval_s / len(test_videos):.3f} s/video), total {train_s + eval_s:.2f} s")


if __name__ == "__main__":
    main(parse_args())
