"""Write a SYNTHETIC data set in VideoXum's layout (anno/*.json, feat/<name>/<video_id>.npz).

    python -m cli.synthetic_videoxum --out DIR [--videos N --features NAME --dim D --seed S]

``--videos 14001`` gives VideoXum's 8,000 / 2,001 / 4,000 split at an assumed length distribution
(dataset/videoxum_synthetic.py says which); the memory measurement (bench/bench_videoxum_memory.py) uses it.
"""

from __future__ import annotations

import argparse

from cli.options import add_out_argument, add_seed_argument, command_parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser("Write a SYNTHETIC data set in VideoXum's layout.")
    add_out_argument(parser, required=True, help="folder to write anno/ and feat/ into")
    parser.add_argument("--videos", type=int, default=30, help="number of videos over the three splits (default 30; 14001 = VideoXum's size)")
    parser.add_argument("--features", default="blip", help="feature folder name under feat/ (default blip, as the release)")
    parser.add_argument("--dim", type=int, default=768, help="feature size (default 768, the release's BLIP features; 1024 = GoogLeNet)")
    parser.add_argument("--off-by-one", type=float, default=0.05, help="share of videos whose features are one frame off (default 0.05)")
    add_seed_argument(parser, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.videos < 3:
        parser.error("--videos must be at least 3 (one per split)")
    if args.dim < 1 or not 0 <= args.off_by_one <= 1:
        parser.error("--dim must be >= 1 and --off-by-one in [0, 1]")
    return args


def main(args: argparse.Namespace) -> None:
    from dataset.videoxum_synthetic import SyntheticVideoXumConfig, write_synthetic_videoxum

    cfg = SyntheticVideoXumConfig(n_videos=args.videos, features=args.features, dim=args.dim, off_by_one=args.off_by_one, seed=args.seed)
    out = write_synthetic_videoxum(args.out, cfg)
    print(f"wrote SYNTHETIC VideoXum-layout data: {out} ({cfg.n_videos} videos, features {cfg.features}, d={cfg.dim})")


def run() -> None:
    main(parse_args())


if __name__ == "__main__":
    run()
