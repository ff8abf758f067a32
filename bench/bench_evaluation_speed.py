"""Evaluation speed: what each lever of the fast scoring route buys, and the whole evaluation of
every split on both routes, with their per-split tau/rho.

    python -m cli.synthetic_data --dataset all --out /tmp/syn        # 25 + 50 videos of real shapes
    python bench/bench_evaluation_speed.py --data-dir /tmp/syn [--levers-videos 6] [--write-weights DIR]

The weights are random (GoogLeNet with batch-norm statistics measured on pictures, as the offline
stand-in; a different head per split), so the scores vary like a trained model's. --write-weights
saves them as DIR/<dataset>/split<k>.pt, the released layout, for timing the reference
implementation's own inference.py on the same weights and data.

Printed: per lever, seconds per video and the largest score difference from the exact route;
then, per dataset and split, tau and rho of both routes and the time of each whole evaluation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from config import DATASETS, ModelConfig, dataset_specs
from dataset.benchmark import load_benchmark
from dataset.splits import read_splits
from engine.evaluate.model_scores import ScoringRoute, evaluate_model, to_device
from evaluation.protocol import mean_metrics
from models.backbone import GOOGLENET, BackboneInit, seeded_random_backbone
from models.bn_calibration import calibrate_batch_norm, coloured_pictures
from models.checkpoint import load_checkpoint, save_checkpoint
from models.csta import CSTA, build_csta, predict_scores
from models.fast_eval import fold_for_inference


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="folder of the (synthetic) h5 files and ydata-anno.tsv")
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="all")
    parser.add_argument("--levers-videos", type=int, default=6, help="videos timed for each lever (0: skip the lever table)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timed rounds of the levers; the fastest is printed")
    parser.add_argument("--skip-evaluation", action="store_true", help="only the lever table (and --write-weights)")
    parser.add_argument("--threads", type=int, nargs="+", help="also time the fast route with these torch thread counts")
    parser.add_argument("--write-weights", type=Path, metavar="DIR", help="save the weights as DIR/<dataset>/split<k>.pt")
    parser.add_argument("--weights-dir", type=Path, metavar="DIR", help="evaluate DIR/<dataset>/split<k>.pt instead of random weights")
    parser.add_argument("--routes", nargs="+", choices=[r.value for r in ScoringRoute], default=[r.value for r in ScoringRoute],
                        help="the routes of the whole evaluation (default: both)")
    return parser.parse_args(argv)


def bench_model(seed: int) -> CSTA:
    """A CSTA with a stand-in-like trunk (calibrated batch norms) and a head drawn from ``seed``."""
    trunk = seeded_random_backbone(GOOGLENET, 0)
    calibrate_batch_norm(trunk, coloured_pictures(16, 0))
    torch.manual_seed(seed)
    model = CSTA(trunk, ModelConfig())
    with torch.no_grad():
        model.layernorm1.running_mean.normal_(0, 0.1)
        model.layernorm1.running_var.uniform_(0.5, 2.0)
        model.CLS.normal_(0, 0.1)
    return model.eval()


def lever_table(model: CSTA, videos: list[torch.Tensor], rounds: int, threads: list[int]) -> None:
    """Each lever on the same videos, the levers interleaved round by round (a shared machine's load
    then falls on all of them alike); the fastest round of each is printed."""

    def inference(net, count=None):
        def run(x):
            previous = torch.get_num_threads()
            if count:
                torch.set_num_threads(count)
            try:
                with torch.inference_mode():
                    return net(x).numpy()
            finally:
                torch.set_num_threads(previous)
        return run

    fast = fold_for_inference(model)
    levers = [
        ("exact: torch.no_grad (predict_scores)", lambda x: predict_scores(model, x)),
        ("torch.inference_mode", inference(model)),
        ("inference_mode + channels_last trunk weights", inference(_channels_last_copy(model))),
        ("inference_mode + BN folded", inference(fold_for_inference(model, channels_last=False))),
        ("inference_mode + BN folded + channels_last", inference(fold_for_inference(model, pointwise_linears=False))),
        ("+ linear layers as oneDNN 1x1 convolutions (fast route)", inference(fast)),
    ]
    levers += [(f"fast route, torch.set_num_threads({count})", inference(fast, count)) for count in threads or []]
    steps = sum(v.shape[0] for v in videos)
    print(f"levers: {len(videos)} videos, {steps} steps, fastest of {rounds} interleaved rounds, torch threads {torch.get_num_threads()}")
    best = [float("inf")] * len(levers)
    scores: list[list[np.ndarray]] = [[] for _ in levers]
    for _ in range(rounds):
        for index, (_, fn) in enumerate(levers):
            start = time.perf_counter()
            scores[index] = [fn(video) for video in videos]
            best[index] = min(best[index], time.perf_counter() - start)
    for (name, _), seconds, outputs in zip(levers, best, scores, strict=True):
        diff = max(float(np.abs(a - b).max()) for a, b in zip(outputs, scores[0], strict=True))
        print(f"  {name:<58} {seconds / len(videos):7.3f} s/video  x{best[0] / seconds:5.2f}  max |diff| {diff:.2e}")


def _channels_last_copy(model: CSTA) -> CSTA:
    import copy

    clone = copy.deepcopy(model).eval()
    clone.trunk.to(memory_format=torch.channels_last)
    return clone


def main(args: argparse.Namespace) -> int:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; data {args.data_dir}")
    totals = {route: 0.0 for route in ScoringRoute}
    lever_done = args.levers_videos <= 0
    for spec in dataset_specs(args.dataset):
        benchmark = load_benchmark(spec, args.data_dir)
        splits = read_splits(spec.splits_path(), spec)
        label = " (SYNTHETIC)" if benchmark.synthetic else ""
        print(f"\n{spec.name}{label}: {len(benchmark.videos)} videos, {len(splits)} splits")
        for split in splits:
            if args.weights_dir:
                model = build_csta(BackboneInit.RANDOM).eval()  # every tensor comes from the file
                load_checkpoint(model, args.weights_dir / spec.name / f"split{split.number}.pt")
            else:
                model = bench_model(seed=split.number)
            if args.write_weights:
                save_checkpoint(model.state_dict(), args.write_weights / spec.name / f"split{split.number}.pt")
            videos = to_device(benchmark.subset(split.test_keys), torch.device("cpu"))
            if args.skip_evaluation and lever_done:
                continue
            if not lever_done:
                lever_table(model, [v.features for v in videos[: args.levers_videos]], args.rounds, args.threads)
                lever_done = True
                if args.skip_evaluation:
                    continue
            cells = []
            for route in map(ScoringRoute, args.routes):
                start = time.perf_counter()
                metrics = mean_metrics(evaluate_model(model, videos, spec, route))
                seconds = time.perf_counter() - start
                totals[route] += seconds
                cells.append(f"{route.value}: tau {metrics.kendall:.3f} rho {metrics.spearman:.3f} F1 {metrics.f1:.2f} {seconds:6.2f} s")
            print(f"  split {split.number} ({len(videos)} videos)  " + "  |  ".join(cells))
    exact, fast = totals[ScoringRoute.EXACT], totals[ScoringRoute.FAST]
    print(f"\nwhole evaluation: exact {exact:.1f} s, fast {fast:.1f} s" + (f" (fast/exact {fast / exact:.2f})" if exact and fast else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
