"""Write a small SYNTHETIC benchmark in the eccv16 h5 layout (and, for TVSum, a ydata-anno.tsv).

    python -m cli.synthetic_data --dataset {SumMe,TVSum,all} --out DIR [--videos N --min-steps A --max-steps B --seed S]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from cli.options import add_out_argument, add_seed_argument, command_parser
from config import DATASETS, DatasetSpec
from dataset.synthetic import SUMME_LIKE, TVSUM_LIKE, SyntheticConfig, write_synthetic_benchmark


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser("Write a small SYNTHETIC benchmark in the eccv16 h5 layout.")
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="SumMe", help="which dataset's layout and file name to imitate")
    add_out_argument(parser, required=True, help="folder to write the files into (like data/)")
    parser.add_argument("--videos", type=int, help="number of videos (default: 25 SumMe-like, 50 TVSum-like)")
    parser.add_argument("--min-steps", type=int, help="fewest feature steps per video (default 100)")
    parser.add_argument("--max-steps", type=int, help="most feature steps per video (default 700)")
    add_seed_argument(parser, help="random seed (default 0 SumMe-like, 1 TVSum-like)")
    args = parser.parse_args(argv)
    try:
        _configs(args)  # refuse a configuration that cannot make scorable videos before anything is written
    except ValueError as error:
        parser.error(str(error))
    return args


def _configs(args: argparse.Namespace) -> list[tuple[DatasetSpec, SyntheticConfig]]:
    specs = list(DATASETS.values()) if args.dataset == "all" else [DATASETS[args.dataset]]
    overrides = {"n_videos": args.videos, "min_steps": args.min_steps, "max_steps": args.max_steps, "seed": args.seed}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return [(spec, replace(TVSUM_LIKE if spec.needs_annotation_file else SUMME_LIKE, **overrides)) for spec in specs]


def main(args: argparse.Namespace) -> None:
    for spec, cfg in _configs(args):
        path = write_synthetic_benchmark(spec, args.out, cfg)
        print(f"wrote SYNTHETIC {spec.name}-like data: {path} ({cfg.n_videos} videos)")


def run() -> None:
    main(parse_args())


if __name__ == "__main__":
    run()
