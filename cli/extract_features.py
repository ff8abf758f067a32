"""Per-frame features of videos at a fixed rate, into VideoXum's layout (feat/<name>/<video_id>.npz).

    python -m cli.extract_features VIDEOS... --out DATA/feat/googlenet [--fps 1] [--backbone googlenet]

VIDEOS are files and/or folders (not searched recursively); a video's id is its file's stem
(ActivityNet's v_XXXXXXXXXXX.mp4 gives VideoXum's v_XXXXXXXXXXX). Frames are embedded as a player
shows them (a phone's display matrix applied, as OpenCV reads them). Videos already in --out are
skipped as finished, so a stopped run resumes where it was; --overwrite extracts every given video again.
The settings (backbone, feature width, rate, preprocessing, weights) are recorded in --out/extraction.json:
a run with other settings into the same folder is refused, naming both and the file, before any network
loads. A video that cannot be decoded is reported and the others go on; the exit status is 1 when any failed.

Large collections: --ray spreads the videos over Ray workers, each holding the network once, as
generate_video.py --ray does (same flags: --ray, --ray-address, --ray-workers); the files are those
of the run without --ray, and resuming and failures work the same way.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.options import add_device_argument, add_out_argument, add_overwrite_argument, command_parser, whole_number
from cli.ray_options import add_worker_pool_arguments, check_worker_pool_arguments
from config import Backbone
from utils.cluster import WorkersUnavailable
from utils.errors import ProjectError
from utils.paths import VIDEO_EXTENSIONS, find_videos

if TYPE_CHECKING:  # torch: not before the arguments are checked
    from dataset.feature_settings import FeatureSettings
    from features.embedder import FrameEmbedder
    from features.extract import ExtractConfig, JobRunner

log = logging.getLogger("extract_features")
BACKBONES = tuple(backbone.value.lower() for backbone in Backbone)  # googlenet, resnet (18), efficientnet (B0), mobilenet (V2)


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", type=Path, help="video files and/or folders of videos")
    add_out_argument(parser, required=True, help="feature folder, e.g. DATA/feat/googlenet")
    parser.add_argument("--fps", type=str, default="1", help="samples per second (default 1, VideoXum's rate)")
    parser.add_argument("--backbone", choices=BACKBONES, default="googlenet", help="frame CNN (default googlenet: pool5, 1024-d, the paper's features; resnet: ResNet-18, 512-d; "
                        "efficientnet: B0, 1280-d; mobilenet: V2, 1280-d)")
    parser.add_argument("--batch-size", type=whole_number(1, 1024), default=16, help="frames per CNN batch (default 16)")
    parser.add_argument("--exact", action="store_true", help="the reference route's bit-exact kernels (slower)")
    add_device_argument(parser)
    parser.add_argument("--backbone-weights", type=Path, help="a local copy of torchvision's ImageNet weights of the backbone")
    parser.add_argument("--random-backbone", action="store_true", help="random backbone features (tests and demos only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_overwrite_argument(parser, "the features of every given video, and the folder's settings record,",
                           without="a video whose file is in --out is skipped as finished (a stopped run resumes) and a folder "
                           "recorded with other settings is refused")
    add_worker_pool_arguments(parser, section="features/extract.py, utils/cluster.py", work="extract", held="the network", same="files")
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
    check_worker_pool_arguments(parser, args)
    return args


def extract_config(args: argparse.Namespace) -> ExtractConfig:
    """The extraction settings of the command line (the same for every worker)."""
    from features.extract import ExtractConfig
    from models.backbone import backbone_spec

    return ExtractConfig(fps=args.fps, backbone=backbone_spec(args.backbone).backbone, batch_size=args.batch_size, exact=args.exact,
                         progress=not args.quiet)


def feature_settings(args: argparse.Namespace) -> FeatureSettings:
    """What the files of this run will be (torch-free: checked against the folder's record before any network loads)."""
    from dataset.feature_settings import FeatureSettings
    from utils.files import sha256_of

    backbone = Backbone[args.backbone.upper()]
    if args.random_backbone:
        weights = "random (seed 0; tests and demos only)"
    elif args.backbone_weights:
        weights = f"file sha256 {sha256_of(args.backbone_weights)}"
    else:
        weights = "imagenet (torchvision's)"
    return FeatureSettings(backbone=args.backbone, feature_width=backbone.width, fps=args.fps,
                           preprocessing="the backbone's ImageNet preset (short side resized, centre crop), L2-normalised", weights=weights)


def check_folder(args: argparse.Namespace, videos: list[Path], settings: FeatureSettings) -> None:
    """Before any network loads: no output is an input, the folder's record agrees with ``settings`` (or --overwrite),
    and a folder without a record holds files of the width ``settings`` makes.

    Raises:
        SettingsMismatch, DataError: named; engine.run_outputs.OutputConflict: an output is an input.
    """
    from dataset.feature_settings import SettingsMismatch, check_settings, read_settings, settings_path
    from engine.run_outputs import refuse_collisions

    refuse_collisions([args.out / f"{video.stem}.npz" for video in videos] + [settings_path(args.out)], videos)
    if args.overwrite:
        recorded = read_settings(args.out)
        given = {video.stem for video in videos}
        others = [path for path in args.out.glob("*.npz") if path.stem not in given] if recorded not in (None, settings) else []
        if others:
            log.warning("%d feature file(s) in %s (%s, ...) are not among the given videos and keep the earlier settings (%s): "
                        "extract them too, or move them, before reading the folder", len(others), args.out, others[0].name,
                        "; ".join(recorded.differences(settings)))
        return
    check_settings(args.out, settings)
    if read_settings(args.out) is None and args.out.is_dir():  # files from before the record: their width, at least
        from dataset.videoxum import load_features

        earlier = sorted(args.out.glob("*.npz"))
        if earlier:
            width = load_features(earlier[0], earlier[0].stem).shape[1]
            if width != settings.feature_width:
                raise SettingsMismatch(f"{earlier[0]} holds {width}-wide features, this run makes {settings.feature_width}-wide ones "
                                       f"({settings.backbone}); extract into another folder, or pass --overwrite to extract every "
                                       "given video again")


def load_embedder(args: argparse.Namespace) -> FrameEmbedder | None:
    """The network the command line asks for, set to its route; None after logging why it cannot be loaded.
    The run without --ray and every Ray worker load it with this same function."""
    from features.embedder import BackboneSource, load_frame_embedder
    from features.extract import prepare_embedder
    from utils.runtime import select_device

    source = BackboneSource.RANDOM if args.random_backbone else BackboneSource.FILE if args.backbone_weights else BackboneSource.IMAGENET
    cfg = extract_config(args)
    try:
        embedder = load_frame_embedder(source, select_device(args.device), args.backbone_weights, cfg.backbone)
        log.info("backbone: %s", embedder.description)
        return prepare_embedder(embedder, cfg)
    except (ProjectError, OSError, ValueError) as error:
        log.error("error: %s", error)
        return None


def job_runner(args: argparse.Namespace) -> JobRunner | None:
    """Ray's runner with --ray or --ray-address; otherwise the embedder loaded here (None: it could not be)."""
    from features.extract import local_runner, ray_runner

    if args.ray or args.ray_address:
        from functools import partial

        import cli.extract_features  # by name, also when run as a script: the workers import the loader, not a copy
        from utils.cluster import PoolConfig

        config = PoolConfig(address=args.ray_address, workers=args.ray_workers, use_gpus=args.device != "cpu")
        return ray_runner(partial(cli.extract_features.load_embedder, args), config)
    embedder = load_embedder(args)
    return None if embedder is None else local_runner(embedder)


def main(args: argparse.Namespace) -> int:
    """Returns 0 when every video's features are in --out, 1 when some failed (each named), 2 when nothing could run."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        videos = find_videos(args.inputs, VIDEO_EXTENSIONS).videos
        if not videos:
            log.error("error: no videos found in %s", ", ".join(map(str, args.inputs)))
            return 1
        settings = feature_settings(args)
        try:
            check_folder(args, videos, settings)
        except ProjectError as error:  # nothing ran: as for a network that cannot load
            log.error("error: %s", error)
            return 2
        from dataset.feature_settings import write_settings
        from engine.run_outputs import where_outputs_go
        from features.extract import extract_videos

        runner = job_runner(args)
        if runner is None:
            return 2
        log.info("%s", where_outputs_go(f"the features of {len(videos)} video(s) at {args.fps:g} fps"
                                        f"{' on Ray' if args.ray or args.ray_address else ''}", args.out))
        args.out.mkdir(parents=True, exist_ok=True)
        write_settings(args.out, settings)  # first: the files written from now on are these settings' files
        summary = extract_videos(videos, args.out, extract_config(args), runner, redo=args.overwrite)
    except (ProjectError, OSError, ConnectionError) as error:
        log.error("error: %s", error)
        return 2 if isinstance(error, WorkersUnavailable | ConnectionError) else 1
    log.info("extracted %d, skipped %d already there, failed %d%s", len(summary.done), len(summary.skipped), len(summary.failed),
             " (skipped: finished by an earlier run with these settings; --overwrite extracts them again)" if summary.skipped else "")
    for video_id, reason in summary.failed.items():
        log.error("failed %s: %s", video_id, reason)
    return 1 if summary.failed else 0


def run() -> None:
    sys.exit(main(parse_args()))


if __name__ == "__main__":
    run()
