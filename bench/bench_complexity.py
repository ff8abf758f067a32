"""The paper's computation figures, measured: trainable parameters and the mean MACs of one score
prediction over a dataset's videos (the paper: 9.78 G on SumMe, 15.73 G on TVSum).

    python bench/bench_complexity.py --dataset SumMe --data-dir data [--json PATH]
    python bench/bench_complexity.py --dataset TVSum --model_name ResNet_Attention --CLS_on false   # a variant
    python bench/bench_complexity.py --dataset TVSum --grid grids/paper_ablation.json             # every row of a grid

A variant is chosen with the reference implementation's options and spellings (--Scale None,
--CLS_on false, ...; defaults: the released configuration). With --grid, every row of the grid
is measured (counted on the meta device: the same counts, without the arithmetic).

The video lengths come from the h5 file. For TVSum without the h5 file, they come from
ydata-anno.tsv (ceil(n_frames / 15) steps per video, the h5 file's step counts); the MAC count
depends only on the lengths, so the figure is the same.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

from config import DATASETS, DEFAULT_DATA_DIR, FRAME_SAMPLE_RATE, OPTION_FIELDS, TVSUM_ANNOTATION_FILE, ModelConfig, option_values
from dataset.annotations import read_tvsum_annotations
from dataset.errors import DataError
from dataset.h5 import read_eccv16
from engine.ablation.grid import Variant, read_grid
from engine.evaluate.complexity import count_parameters, macs_over_lengths, meta_macs
from models.backbone import BackboneInit
from models.csta import build_csta
from utils import write_json_atomic
from utils.errors import ProjectError
from utils.runtime import select_device

PAPER_MACS = {"SumMe": 9.78e9, "TVSum": 15.73e9}
# The reference implementation's model options (the rest of ModelConfig is fixed there).
REFERENCE_OPTIONS = ("model_name", *list(OPTION_FIELDS.values())[: list(OPTION_FIELDS).index("layernorm") + 1])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=list(DATASETS), required=True, help="dataset whose videos to measure")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=f"folder of the h5 files / ydata-anno.tsv (default: {DEFAULT_DATA_DIR})")
    parser.add_argument("--device", help="torch device (default: CUDA when available); the count does not depend on it")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    variant = parser.add_argument_group("variant (the reference's options; default: the released configuration)")
    for option in REFERENCE_OPTIONS:
        variant.add_argument(f"--{option}", metavar="VALUE", help=" / ".join(option_values(option)))
    variant.add_argument("--grid", type=Path, help="measure every row of this ablation grid file instead (no other variant option)")
    args = parser.parse_args(argv)
    args.options = {option: getattr(args, option) for option in REFERENCE_OPTIONS if getattr(args, option) is not None}
    if args.grid and args.options:
        parser.error(f"--grid measures the grid's own variants; drop --{' --'.join(args.options)}")
    return args


def chosen_variants(args: argparse.Namespace) -> list[Variant]:
    """The grid's rows, or the one variant the options name (ModelConfigError / GridError when invalid)."""
    if args.grid:
        return read_grid(args.grid)
    config = ModelConfig.from_options(args.options)
    return [Variant(config.model_name, "", "", args.options, config)]


def video_lengths(name: str, data_dir: Path) -> tuple[list[int], str, bool]:
    """Step counts of every video, where they came from, and whether the source is synthetic."""
    spec = DATASETS[name]
    h5_path = spec.h5_path(data_dir)
    if h5_path.is_file():
        videos, synthetic = read_eccv16(h5_path)
        return [v.n_steps for v in videos.values()], str(h5_path), synthetic
    annotation_path = Path(data_dir) / TVSUM_ANNOTATION_FILE
    if spec.needs_annotation_file and annotation_path.is_file():
        lengths = [math.ceil(raw.shape[1] / FRAME_SAMPLE_RATE) for _, raw in read_tvsum_annotations(annotation_path)]
        synthetic = annotation_path.read_text(encoding="utf-8", errors="replace").startswith("SYNTHETIC")
        return lengths, f"{annotation_path} (frame counts; {h5_path.name} absent)", synthetic
    raise DataError(f"{name}: neither {h5_path} nor (TVSum only) {annotation_path} found; the video lengths come from one of them")


def main(args: argparse.Namespace) -> int:
    try:
        variants = chosen_variants(args)
        lengths, source, synthetic = video_lengths(args.dataset, args.data_dir)
        device = select_device(args.device)
    except (ProjectError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.grid:
        return _grid(args, variants, lengths, source, synthetic)
    config = variants[0].config
    model = build_csta(BackboneInit.RANDOM, config).to(device)  # weights do not change the count
    start = time.perf_counter()
    macs = macs_over_lengths(model, lengths, device)
    seconds = time.perf_counter() - start
    params = count_parameters(model)
    label = "  [SYNTHETIC data: lengths of synthetic videos, not the real benchmark]" if synthetic else ""
    print(f"{args.dataset}: {len(lengths)} videos from {source}{label}")
    print(f"  variant: {config.model_name}" + "".join(f" --{k} {v}" for k, v in args.options.items() if k != "model_name"))
    print(f"  steps per video: mean {sum(lengths) / len(lengths):.1f}, min {min(lengths)}, max {max(lengths)}")
    print(f"  trainable parameters: {params.trainable:,} (all); {params.trainable_used:,} without the unused googlenet.fc "
          f"= {params.used_in_mebi:.2f} M in the reference's convention (/ 1024^2)")
    print(f"  MACs per score prediction: mean {macs.mean / 1e9:.2f} G = {macs.mean / 2**30:.2f} x 1024^3 (min {min(v.macs for v in macs.videos) / 1e9:.2f} G, "
          f"max {max(v.macs for v in macs.videos) / 1e9:.2f} G); the paper reports {PAPER_MACS[args.dataset] / 1e9:.2f} G")
    print(f"  counted with torch.utils.flop_counter.FlopCounterMode (MACs = FLOPs / 2 of matmuls and convolutions) on {device}, "
          f"torch {torch.__version__}, in {seconds:.1f} s")
    if args.json:
        write_json_atomic(args.json, {"dataset": args.dataset, "source": source, "synthetic_data": synthetic,
                                      "model_config": config.to_options(),
                                      "parameters": params.as_dict(), "macs": macs.as_dict(), "paper_mean_macs": PAPER_MACS[args.dataset],
                                      "device": str(device), "torch": torch.__version__})
    return 0


def _grid(args: argparse.Namespace, variants: list[Variant], lengths: list[int], source: str, synthetic: bool) -> int:
    label = "  [SYNTHETIC data: lengths of synthetic videos]" if synthetic else ""
    print(f"{args.dataset}: {len(lengths)} videos from {source}{label}; {len(variants)} variants of {args.grid}")
    print(f"  {'variant':<58}{'params (M)':>11}{'mean GMACs':>12}")
    rows = []
    for variant in variants:
        with torch.device("meta"):
            params = count_parameters(build_csta(BackboneInit.RANDOM, variant.config))
        macs = meta_macs(variant.config, lengths)
        print(f"  {variant.name:<58}{params.trainable / 1e6:>11.2f}{macs.mean / 1e9:>12.2f}")
        rows.append({"name": variant.name, "options": variant.options, "parameters": params.as_dict(), "mean_macs": macs.mean})
    if args.json:
        write_json_atomic(args.json, {"dataset": args.dataset, "source": source, "synthetic_data": synthetic,
                                      "grid": str(args.grid), "variants": rows, "torch": torch.__version__})
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
