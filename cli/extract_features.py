"""Per-frame features of videos at a fixed rate, into VideoXum's layout (feat/<name>/<video_id>.npz).

    python -m cli.extract_features VIDEOS... --out DATA/feat/googlenet [--fps 1] [--backbone googlenet]

VIDEOS are files and/or folders (not searched recursively); a video's id is its file's stem
(ActivityNet's v_XXXXXXXXXXX.mp4 gives VideoXum's v_XXXXXXXXXXX). Videos already in --out are
skipped, so a stopped run resumes where it was. A video that cannot be decoded is reported and the
others go on; the exit status is 1 when any failed. Ray: features/extract.py's JobRunner hook.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path

from config import Backbone
from engine.cli import whole_number
from summarize.plan import VIDEO_EXTENSIONS, find_videos
from utils.errors import ProjectError

log = logging.getLogger("extract_features")
BACKBONES = tuple(backbone.value.lower() for backbone in Backbone)  # googlenet, resnet (18), efficientnet (B0), mobilenet (V2)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", type=Path, help="video files and/or folders of videos")
    parser.add_argument("--out", type=Path, required=True, help="feature folder, e.g. DATA/feat/googlenet")
    parser.add_argument("--fps", type=str, default="1", help="samples per second (default 1, VideoXum's rate)")
    parser.add_argument("--backbone", choices=BACKBONES, default="googlenet", help="frame CNN (default googlenet: pool5, 1024-d, the paper's features; resnet: ResNet-18, 512-d; "
                        "efficientnet: B0, 1280-d; mobilenet: V2, 1280-d)")
    parser.add_argument("--batch-size", type=whole_number(1, 1024), default=16, help="frames per CNN batch (default 16)")
    parser.add_argument("--exact", action="store_true", help="the reference route's bit-exact kernels (slower)")
    parser.add_argument("--device", help="torch device (default: CUDA when available, else CPU)")
    parser.add_argument("--backbone-weights", type=Path, help="a local copy of torchvision's ImageNet weights of the backbone")
    parser.add_argument("--random-backbone", action="store_true", help="random backbone features (tests and demos only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.fps = float(args.fps)
    except ValueError:
        parser.error(f"argument --fps: expected a number, got {args.fps!r}")
    if not math.isfinite(args.fps) or args.fps <= 0 or args.fps > 1000:
        parser.error(f"argument --fps: must be in (0, 1000], got {args.fps:g}")
    if args.exact and args.backbone != "googlenet":
        parser.error("--exact exists for googlenet only")
    if args.random_backbone and args.backbone_weights:
        parser.error("choose one of --random-backbone and --backbone-weights")
    return args


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        videos = find_videos(args.inputs, VIDEO_EXTENSIONS).videos
        if not videos:
            log.error("error: no videos found in %s", ", ".join(map(str, args.inputs)))
            return 1
        from features.embedder import BackboneSource, load_frame_embedder
        from features.extract import ExtractConfig, extract_videos, local_runner
        from models.backbone import backbone_spec
        from utils.runtime import select_device

        source = BackboneSource.RANDOM if args.random_backbone else BackboneSource.FILE if args.backbone_weights else BackboneSource.IMAGENET
        backbone = backbone_spec(args.backbone).backbone
        embedder = load_frame_embedder(source, select_device(args.device), args.backbone_weights, backbone)
        cfg = ExtractConfig(fps=args.fps, backbone=backbone, batch_size=args.batch_size, exact=args.exact, progress=not args.quiet)
        log.info("%d video(s) -> %s at %g fps | backbone: %s", len(videos), args.out, args.fps, embedder.description)
        summary = extract_videos(videos, args.out, cfg, local_runner(embedder))
    except (ProjectError, OSError) as error:
        log.error("error: %s", error)
        return 1
    log.info("extracted %d, skipped %d already there, failed %d", len(summary.done), len(summary.skipped), len(summary.failed))
    for video_id, reason in summary.failed.items():
        log.error("failed %s: %s", video_id, reason)
    return 1 if summary.failed else 0


def run() -> None:
    sys.exit(main(parse_args()))


if __name__ == "__main__":
    run()
