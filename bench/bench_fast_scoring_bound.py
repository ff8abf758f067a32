"""How far the fast scoring route's scores are from the exact route's, over every CSTA variant.

    python bench/bench_fast_scoring_bound.py                       # the grid's 38 variants, 3 seeds, 3 lengths
    python bench/bench_fast_scoring_bound.py --seeds 0 1 --lengths 40 500 --grid grids/paper_ablation.json
    python bench/bench_fast_scoring_bound.py --weights weights/my/split*.pt --h5 data/my.h5   # trained weights too

The fast route (models/fast_eval.py) folds the CNN trunk's batch norms into its convolutions and
runs the large linear layers as 1x1 convolutions, which changes the order of floating-point
operations; the documented promise ("scores within FAST_SCORING_BOUND of the exact route") must hold
for every variant a user can train, not only the released one. Each variant of the grid gets a
random CSTA whose batch norms hold statistics far from the identity (so folding them matters, as in
trained weights) and random features of a few lengths, in two kinds: zero-mean normal and
non-negative (pool5 features are after a ReLU). The script prints, per variant, the largest
absolute score difference, and at the end the largest over all, against the stated bound.
Random weights are not trained ones: ``--weights FILE... --h5 DATA`` adds trained weights (each
rebuilt as the model its record names) scored on every video of a data set.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from config import ModelConfig
from engine.ablation.grid import read_grid
from models.backbone import BACKBONES, seeded_random_backbone
from models.csta import CSTA
from models.fast_eval import FAST_SCORING_BOUND, fold_for_inference

DEFAULT_GRID = Path(__file__).resolve().parents[1] / "grids" / "paper_ablation.json"


def unsettled_model(config: ModelConfig, seed: int) -> CSTA:
    """An eval-mode CSTA of ``config`` with random weights and batch norms far from the identity."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CSTA(seeded_random_backbone(BACKBONES[config.backbone], seed), config).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.running_mean is not None:
                module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=generator) * 0.2)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) * 2.7 + 0.3)
                if module.affine:
                    module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
                    module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.2)
        cls = getattr(model, "CLS", None)
        if isinstance(cls, torch.Tensor):
            cls.copy_(torch.randn(cls.shape, generator=generator))  # differs per channel, as a trained one does
    return model


def random_features(length: int, non_negative: bool, seed: int) -> torch.Tensor:
    """Sized [length, 1024] float32: zero-mean normal, or its absolute value (after-ReLU features)."""
    features = torch.randn(length, 1024, generator=torch.Generator().manual_seed(seed))
    return features.abs() if non_negative else features


@dataclass(frozen=True)
class Gap:
    """The largest |fast - exact| score difference of one variant, and where it was found."""

    difference: float
    seed: int
    length: int
    non_negative: bool


def largest_gap(config: ModelConfig, seeds: list[int], lengths: list[int]) -> Gap:
    """The largest absolute score difference between the exact and the fast route over the cases."""
    worst = Gap(-1.0, -1, -1, False)
    for seed in seeds:
        model = unsettled_model(config, seed)
        fast = fold_for_inference(model)
        for length in lengths:
            for non_negative in (False, True):
                features = random_features(length, non_negative, seed * 1000 + length)
                with torch.no_grad():
                    exact = model(features)
                with torch.inference_mode():
                    folded = fast(features)
                difference = (exact - folded).abs().max().item()
                if difference > worst.difference:
                    worst = Gap(difference, seed, length, non_negative)
    return worst


def trained_gap(weights: Path, h5_path: Path) -> float:
    """The largest |fast - exact| of trained weights (rebuilt from their record) over every video of ``h5_path``."""
    import h5py

    from engine.weights_model import build_model, read_training_record
    from models.checkpoint import load_checkpoint
    from models.method_choice import choice_from_record

    choice = choice_from_record(read_training_record(weights))
    if choice is None:
        raise SystemExit(f"{weights}: no training record beside it (split<k>.json), so its variant is unknown")
    model = build_model(choice, torch.device("cpu")).eval()
    load_checkpoint(model, weights)
    fast = fold_for_inference(model)
    worst = 0.0
    with h5py.File(h5_path, "r") as data:
        for key in data:
            features = torch.from_numpy(data[key]["features"][()])
            with torch.no_grad():
                exact = model(features)
            with torch.inference_mode():
                worst = max(worst, (exact - fast(features)).abs().max().item())
    return worst


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--grid", type=Path, default=DEFAULT_GRID, help="the variants to measure (an ablation grid file)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="random models per variant")
    parser.add_argument("--lengths", type=int, nargs="+", default=[20, 120, 400], help="video lengths in steps")
    parser.add_argument("--weights", type=Path, nargs="*", default=[], help="trained weights files to measure too (need --h5)")
    parser.add_argument("--h5", type=Path, help="the data set whose videos the --weights are scored on")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the sums' order depends on it)")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> float:
    """Prints one line per variant and the overall largest difference; returns that difference."""
    torch.set_num_threads(args.threads)
    overall = 0.0
    if args.weights and args.h5 is None:
        raise SystemExit("--weights needs --h5 (the videos to score them on)")
    for weights in args.weights:
        difference = trained_gap(weights, args.h5)
        overall = max(overall, difference)
        print(f"{difference:.3e}  {weights} (trained, every video of {args.h5})", flush=True)
    for variant in read_grid(args.grid):
        gap = largest_gap(variant.config, args.seeds, args.lengths)
        overall = max(overall, gap.difference)
        kind = "non-negative" if gap.non_negative else "normal"
        print(f"{gap.difference:.3e}  {variant.name}  (seed {gap.seed}, T={gap.length}, {kind} features)", flush=True)
    verdict = "holds" if overall <= FAST_SCORING_BOUND else "DOES NOT HOLD"
    print(f"largest |fast - exact| over every variant: {overall:.3e}; the stated bound {FAST_SCORING_BOUND:g} {verdict}")
    return overall


if __name__ == "__main__":
    main(parse_args())
