"""Write a synthetic demo video with hard cuts (a colour, moving shapes and a tone per scene).

    python -m cli.synthetic_video demo.mp4 [--scenes 5 --seconds 3 --fps 30 --width 640 --height 360 --no-audio]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.options import add_seed_argument, command_parser
from video.synthetic import write_demo_video


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser("Write a synthetic demo video with hard cuts and a tone per scene.")
    parser.add_argument("out", type=Path, help="output file (.mp4 .mkv .mov .webm .avi)")
    parser.add_argument("--scenes", type=int, default=5, help="number of scenes (5)")
    parser.add_argument("--seconds", type=float, nargs="+", default=[3.0], help="seconds per scene: one value, or one per scene (3)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate (30)")
    parser.add_argument("--width", type=int, default=640, help="width in pixels, even (640)")
    parser.add_argument("--height", type=int, default=360, help="height in pixels, even (360)")
    parser.add_argument("--no-audio", action="store_true", help="write no audio track")
    add_seed_argument(parser, default=0, help="seed for the shapes (0)")
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> None:
    seconds = args.seconds[0] if len(args.seconds) == 1 else args.seconds
    cuts = write_demo_video(args.out, scenes=args.scenes, seconds_per_scene=seconds, fps=args.fps,
                            size=(args.width, args.height), audio=not args.no_audio, seed=args.seed)
    print(f"wrote {args.out}: {args.scenes} scenes, cuts at frames {cuts}")


def run() -> None:
    main(parse_args())


if __name__ == "__main__":
    run()
