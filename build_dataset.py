"""Your own videos as a data set: an h5 file in exactly the eccv16 layout of the SumMe/TVSum files.

    python build_dataset.py videos/ --labels labels.csv --h5 data/my.h5

Every video gets GoogLeNet pool5 features (1024-d; --backbone for another CNN) at every --stride-th frame (picks), KTS shots
over all its frames (change_points, n_frame_per_seg), n_frames, fps and video_name; with --labels
also gtscore, gtsummary and user_summary (and user_scores for score labels). Labels, by file:
  - ydata-anno.tsv style (TVSum): one line per annotator: file stem<TAB>category<TAB>per-frame scores
  - CSV with the header video,annotator,start,end (SumMe style): chosen segments in seconds
  - none (no --labels): features, picks and shots only, for inference
Examples: data/examples/. Videos are matched to labels by file stem. A label file saved by a spreadsheet as
"CSV UTF-8" (with a byte-order mark) is read as it is.

A labelled video whose every shot is longer than the 15% summary budget (a short clip of a few scenes) could
have no summary: it is left out and named, unless --split-long-shots, which keeps it with its shots cut to fit.
--h5 (the file train.py, inference.py and score.py then take with --h5; the older spelling --out still works) is
refused when it is one of the videos or the label file (--overwrite or not); its folder is made.

A killed build resumes where it stopped (finished videos are kept in <out>.parts/); the h5 appears
under its name only when complete. A video that cannot be decoded is named, left out and listed.
--ray builds the videos on Ray workers (this machine's cores and GPUs, or a cluster) into the same file.
Exit status: 0 all built, 1 written with some videos left out, 2 nothing written, 130 stopped by Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

# Standard library and torch-free modules only: --help and argument errors answer before torch.
from builder.settings import SPLIT_FLAG, BuildConfig, Preprocess
from cli.options import add_device_argument, add_old_spelling, add_overwrite_argument, command_parser, whole_number
from cli.ray_options import add_worker_pool_arguments, check_worker_pool_arguments
from config import FRAME_SAMPLE_RATE, Backbone
from features.segmentation import Segmentation
from utils.paths import VIDEO_EXTENSIONS

MAX_STRIDE = 10_000
MAX_BATCH_SIZE = 4096
BACKBONES = {backbone.value.lower(): backbone for backbone in Backbone}  # googlenet, resnet, efficientnet, mobilenet


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     fromfile_prefix_chars="@")
    parser.add_argument("inputs", nargs="+", type=Path,
                        help="video files and/or folders of videos; @list.txt reads one path per line")
    # dest "out": --out, this flag's older spelling (hidden; --out names a folder in every other command)
    parser.add_argument("--h5", dest="out", type=Path, metavar="PATH",
                        help="the h5 file to write, e.g. data/my.h5 (required; train.py, inference.py and score.py read it with --h5)")
    add_old_spelling(parser, "--out", "out", type=Path)
    parser.add_argument("--labels", type=Path, help="label file: ydata-anno.tsv-style scores or a video,annotator,start,end CSV "
                        "(default: none, features and shots only)")
    parser.add_argument("--require-labels", action="store_true",
                        help="refuse videos without labels and labels without a video (default: list and leave them out)")
    parser.add_argument("--stride", type=whole_number(1, MAX_STRIDE), default=FRAME_SAMPLE_RATE,
                        help=f"frames between picks (default {FRAME_SAMPLE_RATE}: 2 per second at 30 fps, as the eccv16 files)")
    parser.add_argument("--preprocess", choices=[p.value for p in Preprocess], default=Preprocess.CENTER_CROP.value,
                        help="center-crop: short side 256, centre crop 224 (default; generate_video's and the reference's); "
                        "resize: the whole frame to 224x224. The choice alone moves F1 by points: keep one per data set")
    parser.add_argument("--segmentation", choices=[s.value for s in Segmentation], default=Segmentation.FAST.value,
                        help="fast: KTS on the sampled features, boundaries refined at full frame rate (default); "
                        "full: the reference route, KTS on the features of every frame (slow)")
    parser.add_argument("--ext", default=",".join(VIDEO_EXTENSIONS), help="extensions taken from folders, comma-separated")
    parser.add_argument(SPLIT_FLAG, action="store_true",
                        help="keep a video whose every shot is longer than the 15%% summary budget (short clips of a few scenes), "
                        "its shots cut into equal pieces that fit, noted in <out>.build.json (default: leave it out and say so: "
                        "no summary could hold one of its shots)")
    add_overwrite_argument(parser, "an existing --h5 file", more="; also drops finished videos kept from a build with other settings")
    add_device_argument(parser)
    parser.add_argument("--batch-size", type=whole_number(1, MAX_BATCH_SIZE), help="frames per CNN batch (default: 8 on CPU, 64 on CUDA)")
    parser.add_argument("--backbone", choices=list(BACKBONES), default="googlenet",
                        help="frame CNN (default googlenet: pool5, 1024-d, the eccv16 files' and the models' features; resnet: "
                        "ResNet-18, 512-d; efficientnet: B0, 1280-d; mobilenet: V2, 1280-d), torchvision's ImageNet weights")
    parser.add_argument("--backbone-weights", type=Path,
                        help="a local copy of torchvision's ImageNet weights of --backbone (GoogLeNet: googlenet-1378be20.pth)")
    parser.add_argument("--random-backbone", action="store_true", help="random --backbone features (tests and demos only; the file says so)")
    add_worker_pool_arguments(parser, section="generate_video's video-library path", work="build", held="the CNN", same="features")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.out is None:
        parser.error("the following arguments are required: --h5 (the h5 file to write)")
    args.extensions = tuple(e.strip().lower().lstrip(".") for e in args.ext.split(",") if e.strip().lstrip("."))
    if not args.extensions:
        parser.error("--ext names no extension")
    if args.random_backbone and args.backbone_weights:
        parser.error("choose one of --random-backbone and --backbone-weights")
    args.segmentation = Segmentation(args.segmentation)  # the one conversion of the flag
    if args.segmentation is Segmentation.FULL and args.backbone != "googlenet":
        parser.error(f"--segmentation full is the reference's route, with GoogLeNet's features: not with --backbone {args.backbone}")
    check_worker_pool_arguments(parser, args)
    return args


def config_from(args: argparse.Namespace) -> BuildConfig:
    return BuildConfig(
        inputs=tuple(args.inputs), out=args.out, labels=args.labels, stride=args.stride, preprocess=Preprocess(args.preprocess),
        route=args.segmentation, extensions=args.extensions, require_labels=args.require_labels,
        overwrite=args.overwrite, split_long_shots=args.split_long_shots, device=args.device, batch_size=args.batch_size, backbone=BACKBONES[args.backbone],
        backbone_weights=args.backbone_weights, random_backbone=args.random_backbone, progress=not args.quiet,
        ray=bool(args.ray or args.ray_address), ray_address=args.ray_address, ray_workers=args.ray_workers,
    )


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from builder.run import run_build

    return run_build(config_from(args))


def run() -> None:
    """The command line (``python build_dataset.py`` and the installed console command, pyproject.toml [project.scripts])."""
    sys.exit(main(parse_args()))


if __name__ == "__main__":
    run()
