"""Summarise your own videos with CSTA: frame features, KTS shots, CSTA scores, knapsack selection.

    python generate_video.py clip.mp4 holiday/ --weights weights/SumMe/split4.pt --out summaries/

For each video, writes <out>/<name>.mp4 (the summary, with the source's audio), <name>.json (shots,
scores, what was chosen) and <name>.png (importance over time and keyframes). The reference
implementation's flags (--input_is_file, --file_path, --dir_path, --ext, --sample_rate,
--save_path, --weight_path) keep working.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from config import DEFAULT_WEIGHTS_DIR, FRAME_SAMPLE_RATE, SUMMARY_RATIO
from engine.cli import setup_logging
from models.backbone import BackboneInit, BackboneWeightsUnavailable
from models.checkpoint import CheckpointMismatch, load_checkpoint
from models.csta import build_csta
from summarize.embedder import BackboneSource, load_frame_embedder
from summarize.runner import VIDEO_EXTENSIONS, SummarizeConfig, Summarizer, find_videos, summarize_all
from summarize.segmentation import Segmentation
from utils.errors import ProjectError
from utils.runtime import select_device

log = logging.getLogger("generate_video")

CONTAINERS = ("mp4", "mkv", "mov", "webm", "avi")


def str2bool(value: str) -> bool:
    if value.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if value.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="video files and/or folders of videos")
    parser.add_argument("--weights", "--weight_path", dest="weights", type=Path, default=DEFAULT_WEIGHTS_DIR / "SumMe" / "split4.pt",
                        help="CSTA weights file (default: weights/SumMe/split4.pt, the reference's default)")
    parser.add_argument("--out", "--save_path", dest="out", type=Path, default=Path("summary_videos"), help="output folder (default: summary_videos/)")
    parser.add_argument("--ext", default=",".join(VIDEO_EXTENSIONS), help="extensions to take from folders, comma-separated (default: common video types)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--ratio", type=float, default=SUMMARY_RATIO, help=f"share of the video the summary may take (default {SUMMARY_RATIO})")
    length.add_argument("--seconds", type=float, help="instead of --ratio: the summary's length at most, in seconds (e.g. 120)")
    parser.add_argument("--sample_rate", "--sample-rate", dest="sample_rate", type=int, default=FRAME_SAMPLE_RATE,
                        help=f"frames between the model's steps (default {FRAME_SAMPLE_RATE}, as in training)")
    parser.add_argument("--segmentation", choices=[s.value for s in Segmentation], default=Segmentation.FAST.value,
                        help="fast: KTS on the sampled features, boundaries refined at full frame rate (default); "
                        "full: the reference route, KTS on the features of every frame (slow)")
    parser.add_argument("--format", choices=CONTAINERS, default="mp4", help="summary video file type (default mp4)")
    parser.add_argument("--video-codec", help="encoder for the summary's video (default: the format's usual one, e.g. libx264)")
    parser.add_argument("--audio-codec", help="encoder for the summary's audio (default: the format's usual one, e.g. aac)")
    parser.add_argument("--no-video", action="store_true", help="skip the summary video (write only the JSON and PNG)")
    parser.add_argument("--no-extras", action="store_true", help="skip the JSON and PNG (write only the video)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.add_argument("--device", help="torch device (default: CUDA when available, else CPU)")
    parser.add_argument("--batch-size", type=int, help="frames per GoogLeNet batch (default: 8 on CPU, 64 on CUDA)")
    parser.add_argument("--backbone-weights", type=Path, help="a local copy of torchvision's ImageNet GoogLeNet weights (googlenet-1378be20.pth)")
    parser.add_argument("--random-backbone", action="store_true", help="random GoogLeNet features (tests and demos only; outputs say so)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    reference = parser.add_argument_group("the reference implementation's input flags")
    reference.add_argument("--input_is_file", type=str2bool, help="true: summarise --file_path; false: every --ext video in --dir_path")
    reference.add_argument("--file_path", type=Path, help="one video (with --input_is_file true)")
    reference.add_argument("--dir_path", type=Path, help="a folder of videos (with --input_is_file false)")
    args = parser.parse_args(argv)

    if args.input_is_file is not None or args.file_path or args.dir_path:
        if args.input_is_file is False:
            if not args.dir_path:
                parser.error("--input_is_file false needs --dir_path")
            args.inputs.append(args.dir_path)
        else:
            if not args.file_path:
                parser.error("--input_is_file true needs --file_path")
            args.inputs.append(args.file_path)
    if not args.inputs:
        parser.error("give at least one video file or folder")
    if not 0 < args.ratio <= 1:
        parser.error("--ratio must be in (0, 1]")
    if args.seconds is not None and args.seconds <= 0:
        parser.error("--seconds must be positive")
    if args.sample_rate < 1 or (args.batch_size is not None and args.batch_size < 1):
        parser.error("--sample_rate and --batch-size must be at least 1")
    if args.no_video and args.no_extras:
        parser.error("--no-video and --no-extras together leave nothing to write")
    if args.random_backbone and args.backbone_weights:
        parser.error("choose one of --random-backbone and --backbone-weights")
    return args


def check_output_folder(folder: Path) -> None:
    """Fail before any work if the output folder cannot be created or written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        raise OSError(f"output folder {folder} cannot be written ({error.strerror or error})") from error


def main(args: argparse.Namespace) -> int:
    setup_logging()
    extensions = tuple(e.strip().lower().lstrip(".") for e in args.ext.split(",") if e.strip())
    try:
        device = select_device(args.device)
        model = build_csta(BackboneInit.RANDOM)  # every tensor comes from the weights file
        load_checkpoint(model, args.weights)
        model.to(device)
        source = BackboneSource.RANDOM if args.random_backbone else BackboneSource.FILE if args.backbone_weights else BackboneSource.IMAGENET
        embedder = load_frame_embedder(source, device, args.backbone_weights)
        check_output_folder(args.out)
        videos = find_videos(args.inputs, extensions)
    except BackboneWeightsUnavailable as error:
        log.error("error: %s\nOr pass a local copy of the file with --backbone-weights PATH.", error)
        return 2
    except (ProjectError, FileNotFoundError, CheckpointMismatch, OSError, ValueError, RuntimeError) as error:
        log.error("error: %s", error)
        return 2
    if not videos:
        log.error("error: no videos found in %s (extensions: %s)", ", ".join(map(str, args.inputs)), ", ".join(extensions))
        return 2
    config = SummarizeConfig(
        ratio=args.ratio, seconds=args.seconds, sample_rate=args.sample_rate, segmentation=Segmentation(args.segmentation),
        batch_size=args.batch_size, container=args.format, video_codec=args.video_codec, audio_codec=args.audio_codec,
        write_video=not args.no_video, write_extras=not args.no_extras, overwrite=args.overwrite, progress=not args.quiet,
    )
    log.info("%d video(s) -> %s | weights %s | backbone: %s | device %s", len(videos), args.out, args.weights, embedder.description, device)
    outcomes = summarize_all(Summarizer(model, embedder, args.weights, config), videos, args.out)
    failures = [o for o in outcomes if not o.ok]
    if failures:
        log.error("\n%d of %d video(s) failed:\n%s", len(failures), len(outcomes), "\n".join(f"  {o.message}" for o in failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
