"""Write a small SYNTHETIC data set: SumMe/TVSum in the eccv16 h5 layout (and, for TVSum, a ydata-anno.tsv), or
Mr.HiSum/MoSu in their authors' layouts (each source's declared generator: sources/<name>.py ``synthetic``).

    python -m cli.synthetic_data --dataset {SumMe,TVSum,all} --out DIR [--videos N --min-steps A --max-steps B --seed S]
    python -m cli.synthetic_data --dataset {MrHiSum,MoSu} --out DIR [--videos N --min-steps A --max-steps B --dim D --layout L --seed S]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from cli.options import add_out_argument, add_seed_argument, command_parser
from config import DATASETS, DatasetSpec
from sources import SOURCES
from sources.replay import ReplaySource

# Mr.HiSum and MoSu: the Most-replayed sources, each with its own generator and layouts.
REPLAY = {name: source for name, source in SOURCES.items() if isinstance(source, ReplaySource)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser("Write a small SYNTHETIC data set in a real one's layout.")
    parser.add_argument("--dataset", choices=[*DATASETS, "all", *REPLAY], default="SumMe", help="which dataset's layout and file names to imitate")
    add_out_argument(parser, required=True, help="folder to write the files into (like data/; for MrHiSum/MoSu: the --data-dir to train on)")
    parser.add_argument("--videos", type=int, help="number of videos (default: 25 SumMe-like, 50 TVSum-like, 12 MrHiSum/MoSu; 31892 = Mr.HiSum's size)")
    parser.add_argument("--min-steps", type=int, help="fewest feature steps (MrHiSum/MoSu: rows, one a second) per video (default 100; 120)")
    parser.add_argument("--max-steps", type=int, help="most feature steps per video (default 700; MrHiSum/MoSu 500)")
    parser.add_argument("--dim", type=int, help="MrHiSum/MoSu: feature width (default: the release's, 1024 and 768)")
    parser.add_argument("--layout", choices=["mrhisum", "triplesumm"], help="MrHiSum: the authors' release (default) or TripleSumm's")
    add_seed_argument(parser, help="random seed (default 0 SumMe-like, 1 TVSum-like, 0 MrHiSum/MoSu)")
    args = parser.parse_args(argv)
    try:
        _replay_config(args) if args.dataset in REPLAY else _configs(args)  # refuse what cannot make scorable videos before writing
    except ValueError as error:
        parser.error(str(error))
    if args.dataset not in REPLAY and (args.dim is not None or args.layout is not None):
        parser.error(f"--dim and --layout are for --dataset {' or '.join(REPLAY)}")
    if args.layout is not None and not any(flag.option == "--layout" for flag in REPLAY[args.dataset].flags):
        parser.error(f"{args.dataset} has one layout: leave out --layout")
    return args


def _configs(args: argparse.Namespace) -> list[tuple[DatasetSpec, object]]:
    from dataset.synthetic import SUMME_LIKE, TVSUM_LIKE

    specs = list(DATASETS.values()) if args.dataset == "all" else [DATASETS[args.dataset]]
    overrides = {"n_videos": args.videos, "min_steps": args.min_steps, "max_steps": args.max_steps, "seed": args.seed}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return [(spec, replace(TVSUM_LIKE if spec.needs_annotation_file else SUMME_LIKE, **overrides)) for spec in specs]


def _replay_config(args: argparse.Namespace) -> object:
    from dataset.replay_synthetic import SyntheticReplayConfig

    source = REPLAY[args.dataset]
    defaults = SyntheticReplayConfig(dim=source.model_width)
    low = args.min_steps if args.min_steps is not None else defaults.min_rows
    high = args.max_steps if args.max_steps is not None else defaults.max_rows
    return SyntheticReplayConfig(n_videos=args.videos if args.videos is not None else defaults.n_videos,
                                 dim=args.dim if args.dim is not None else source.model_width,
                                 min_rows=low, max_rows=high, median_rows=min(max(defaults.median_rows, low), high),
                                 seed=args.seed if args.seed is not None else 0)


def main(args: argparse.Namespace) -> None:
    if args.dataset in REPLAY:
        source, cfg = REPLAY[args.dataset], _replay_config(args)
        writer = source.synthetic_writer()
        try:
            out = writer(args.out, cfg, args.layout) if args.layout else writer(args.out, cfg)  # each data set's own layout by default
        except ValueError as error:
            raise SystemExit(f"error: {error}") from error
        print(f"wrote SYNTHETIC {source.name}-like data: {out} ({cfg.n_videos} videos, d={cfg.dim}; {', '.join(sorted(p.name for p in out.iterdir()))})")
        return
    from dataset.synthetic import write_synthetic_benchmark

    for spec, cfg in _configs(args):
        path = write_synthetic_benchmark(spec, args.out, cfg)
        print(f"wrote SYNTHETIC {spec.name}-like data: {path} ({cfg.n_videos} videos)")


def run() -> None:
    main(parse_args())


if __name__ == "__main__":
    run()
