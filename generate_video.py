"""Summarise your own videos with CSTA (or PGL-SUM, CA-SUM): frame features, KTS shots, scores, knapsack selection.

    python generate_video.py clip.mp4 holiday/ --weights weights/SumMe/split4.pt --out summaries/

For each video, writes <out>/<name>.mp4 (the summary, with the source's audio and orientation),
<name>.json (shots, scores, what was chosen) and <name>.png (importance over time and keyframes).
Videos with the same name from different folders get the folder in their outputs' names
(cam1/clip.mp4 -> cam1_clip.mp4), and the run says so.

Nothing is ever written over an input, whatever the flags. Every output is complete or absent.
Running the same command again skips the videos it already finished (each output records the
video and settings it was made from) and removes what an interrupted run left half-written; any
other file under an output's name is kept unless --overwrite is given. Ctrl-C stops cleanly.

Exit status: 0 every video summarised (now or by an earlier run), 1 some video failed (the others
were done), 2 nothing started (a mistake in the command, a missing or unusable file), 130 stopped
by Ctrl-C or a kill.

The weights are scored as the model their record (the .json beside them, written by train.py)
names; released weights have none, so --method and the model options say what they are (default:
CSTA's released configuration). A flag that contradicts the record is refused.

The reference implementation's flags (--input_is_file, --file_path, --dir_path, --ext,
--sample_rate, --save_path, --weight_path) keep working.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.interrupt import take_sigterm_as_interrupt

# Only torch-free modules here: --help and every check of the inputs and outputs answer before
# torch and torchvision are imported (5 s on a small CPU); see _load_summarizer.
from cli.method_options import add_model_arguments, model_choice_from_args
from cli.options import add_device_argument, add_old_spelling, add_out_argument, add_overwrite_argument, command_parser
from cli.ray_options import add_worker_pool_arguments, check_worker_pool_arguments
from config import DEFAULT_WEIGHTS_DIR, FRAME_SAMPLE_RATE, SUMMARY_RATIO, ModelConfigError
from engine.run_outputs import refuse_collisions, where_outputs_go  # standard library only
from features.segmentation import Segmentation  # standard library only
from models.method_choice import ModelChoiceError
from summarize.outdir import hold_output_folder, prepare_output_folder
from summarize.provenance import JobState, VideoJob, assess_source, describe_file
from summarize.summary_plan import PlanError, VideoOutputs, name_outputs, output_kinds
from utils.errors import ProjectError
from utils.exit import EXIT_INTERRUPTED, exit_now
from utils.paths import VIDEO_EXTENSIONS, display_path, find_videos
from video.containers import CONTAINERS  # standard library only: the package imports no PyAV

log = logging.getLogger("generate_video")

IMAGENET_FILE_NAME = "googlenet-1378be20.pth"  # torchvision's, in the torch hub cache
MAX_SECONDS = 10_000_000  # --seconds above this (116 days) is a typing mistake
MAX_SAMPLE_RATE = 10_000
MAX_BATCH_SIZE = 4096


def str2bool(value: str) -> bool:
    if value.lower() in ("yes", "true", "t", "y", "1"):
        return True
    if value.lower() in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def bounded(convert: Callable[[str], float], low: float, high: float, *, low_open: bool = False) -> Callable[[str], Any]:
    """An argparse type: ``convert``'s value, finite and within [low, high] ((low, high] if ``low_open``)."""
    interval = f"{'(' if low_open else '['}{_number(low)}, {_number(high)}]"
    kind = "an integer" if convert is int else "a number"

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind} in {interval}, got {text!r}") from None
        if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
            raise argparse.ArgumentTypeError(f"must be {kind} in {interval}, got {text!r}")
        return value

    parse.__name__ = kind  # argparse names the type by it in its own messages
    return parse


def build_parser() -> argparse.ArgumentParser:
    """Every flag; each number is checked by its type (finite, in range) as it is parsed."""
    parser = command_parser(__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="video files and/or folders of videos")
    parser.add_argument("--weights", dest="weights", type=Path, default=DEFAULT_WEIGHTS_DIR / "SumMe" / "split4.pt",
                        help="weights file of CSTA, PGL-SUM or CA-SUM; the record beside it names the model, else --method and the "
                        "model options do (default: weights/SumMe/split4.pt in the current folder, the reference's default)")
    add_out_argument(parser, default=Path("summary_videos"),
                     help="output folder (default: summary_videos/); not an input folder")
    parser.add_argument("--ext", default=",".join(VIDEO_EXTENSIONS), help="extensions to take from folders, comma-separated (default: common video types)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--ratio", type=bounded(float, 0, 1, low_open=True), default=SUMMARY_RATIO,
                        help=f"share of the video the summary may take, in (0, 1] (default {SUMMARY_RATIO})")
    length.add_argument("--seconds", type=bounded(float, 0, MAX_SECONDS, low_open=True),
                        help="instead of --ratio: the summary's length at most, in seconds (e.g. 120)")
    parser.add_argument("--sample-rate", dest="sample_rate", type=bounded(int, 1, MAX_SAMPLE_RATE), default=FRAME_SAMPLE_RATE,
                        help=f"frames between the model's steps (default {FRAME_SAMPLE_RATE}, as in training)")
    parser.add_argument("--segmentation", choices=[s.value for s in Segmentation], default=Segmentation.FAST.value,
                        help="fast: KTS on the sampled features, boundaries refined at full frame rate (default); "
                        "full: the reference route, KTS on the features of every frame (slow)")
    parser.add_argument("--format", choices=[suffix.lstrip(".") for suffix in CONTAINERS], default="mp4",
                        help="summary video file type (default mp4)")
    parser.add_argument("--video-codec", help="encoder for the summary's video (default: the format's usual one, e.g. libx264)")
    parser.add_argument("--audio-codec", help="encoder for the summary's audio (default: the format's usual one, e.g. aac)")
    parser.add_argument("--no-video", action="store_true", help="skip the summary video (write only the JSON and PNG)")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the JSON and PNG (write only the video; it still records what it was made from)")
    add_overwrite_argument(parser, "another file under an output's name (one not made by this command from this video with these settings)",
                           without="such a video is refused (the others go on); a video whose outputs this command made with these "
                           "settings is skipped as finished, with or without it")
    add_device_argument(parser)
    parser.add_argument("--batch-size", type=bounded(int, 1, MAX_BATCH_SIZE),
                        help="frames per GoogLeNet batch (default: 8 on CPU, 4 there with --segmentation full, 64 on CUDA)")
    parser.add_argument("--backbone-weights", type=Path, help="a local copy of torchvision's ImageNet GoogLeNet weights (googlenet-1378be20.pth)")
    parser.add_argument("--random-backbone", action="store_true", help="random GoogLeNet features (tests and demos only; outputs say so)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_model_arguments(parser)
    add_worker_pool_arguments(parser, section="summarize/library.py", work="summarise", held="the networks", same="outputs")
    # The reference implementation's flags keep working, out of --help and the usage line (the docstring names them):
    # --input_is_file true|false with --file_path (one video) or --dir_path (a folder), and the older spellings.
    for flag, value_type in (("--input_is_file", str2bool), ("--file_path", Path), ("--dir_path", Path)):
        parser.add_argument(flag, type=value_type, help=argparse.SUPPRESS)
    add_old_spelling(parser, "--weight_path", "weights", type=Path)
    add_old_spelling(parser, "--save_path", "out", type=Path)
    add_old_spelling(parser, "--sample_rate", "sample_rate", type=bounded(int, 1, MAX_SAMPLE_RATE))
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, every value checked (finite numbers in range, one input at least). Torch-free."""
    parser = build_parser()
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
    args.extensions = tuple(e.strip().lower().lstrip(".") for e in args.ext.split(",") if e.strip().lstrip("."))
    if not args.extensions:
        parser.error("--ext names no extension")
    if args.no_video and args.no_extras:
        parser.error("--no-video and --no-extras together leave nothing to write")
    args.segmentation = Segmentation(args.segmentation)  # the one conversion of the flag
    if args.random_backbone and args.backbone_weights:
        parser.error("choose one of --random-backbone and --backbone-weights")
    try:
        args.model = model_choice_from_args(args)  # for weights without a record; a record wins over the defaults
    except (ModelChoiceError, ModelConfigError, ValueError) as error:
        parser.error(str(error))
    check_worker_pool_arguments(parser, args)
    return args


def imagenet_cache_file() -> Path:
    """Where torchvision keeps the ImageNet GoogLeNet file (torch.hub.get_dir()'s rule, without torch)."""
    home = os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch"))
    return Path(os.path.expanduser(home)) / "hub" / "checkpoints" / IMAGENET_FILE_NAME


def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Everything besides the source that changes a summary: the fingerprint covers it, the JSON shows it."""
    if args.random_backbone:
        backbone = {"kind": "random"}
    elif args.backbone_weights:
        backbone = {"kind": "file", "file": describe_file(args.backbone_weights)}
    else:
        cached = imagenet_cache_file()
        backbone = {"kind": "imagenet", "file": describe_file(cached) if cached.is_file() else None}
    # the model options that leave no key in the weights (PGL-SUM's fusion, CA-SUM's block size, ...)
    # change the summary: named flags join the fingerprint (the defaults keep earlier runs' fingerprints)
    model = {"model": {"method": args.model.method, "options": args.model.options()}} if args.model.given else {}
    return {
        **model, "weights": describe_file(args.weights), "backbone": backbone,
        "ratio": None if args.seconds is not None else args.ratio, "seconds": args.seconds,
        "sample_rate": args.sample_rate, "segmentation": args.segmentation.value, "batch_size": args.batch_size,
        "device": args.device, "video_codec": args.video_codec, "audio_codec": args.audio_codec,
    }


def plan_run(args: argparse.Namespace) -> list[VideoOutputs]:
    """The videos and their outputs, checked before any heavy import: inputs exist, no output is an
    input or another video's output, the encoders fit the container, the output folder is writable.

    Raises:
        ProjectError, OSError: the message names the file and the problem.
    """
    inputs = find_videos(args.inputs, args.extensions)
    if not inputs.videos:
        raise PlanError(f"no videos found in {', '.join(map(display_path, args.inputs))} (extensions: {', '.join(args.extensions)})")
    kinds = output_kinds(args.format, not args.no_video, not args.no_extras)
    plans = name_outputs(inputs.videos, args.out, kinds)
    outputs = {path: f"summary of {display_path(plan.source)}" for plan in plans for path in plan.paths.values()}
    refuse_collisions(list(outputs), [*inputs.videos, *(p for p in (args.weights, args.backbone_weights) if p is not None)],
                      output_folder=args.out, input_folders=inputs.folders, notes=outputs)
    if not args.weights.is_file():
        raise PlanError(f"weights file not found: {display_path(args.weights)} (train it with train.py, or put the released "
                        "CSTA weights there: see README, 'Real data and weights')")
    if args.backbone_weights is not None and not args.backbone_weights.is_file():
        raise PlanError(f"backbone weights file not found: {display_path(args.backbone_weights)}")
    if "video" in kinds:
        from video.codecs import check_encoders  # PyAV: a few tenths of a second, still no torch

        check_encoders(args.out / f"summary.{args.format}", args.video_codec, args.audio_codec)
    prepare_output_folder(args.out)
    return plans


def _load_summarizer(args: argparse.Namespace, settings: dict[str, Any]) -> Any:
    """The networks and the Summarizer; None (after saying why) when a file or the device is unusable.
    Here, not at the top of the module, so that nothing before needs torch."""
    from utils.collector import loading_without_collections

    with loading_without_collections():  # torch's and the networks' objects: 0.65 s of full collections otherwise
        return _load_networks(args, settings)


def _load_networks(args: argparse.Namespace, settings: dict[str, Any]) -> Any:
    """``_load_summarizer``'s work: the heavy imports, the weights, the Summarizer."""
    from engine.weights_model import build_model, model_for_weights
    from features.embedder import BackboneSource, load_frame_embedder
    from models.backbone import BackboneWeightsUnavailable
    from models.checkpoint import CheckpointMismatch, load_checkpoint
    from summarize.runner import SummarizeConfig, Summarizer
    from utils.runtime import select_device

    source = BackboneSource.RANDOM if args.random_backbone else BackboneSource.FILE if args.backbone_weights else BackboneSource.IMAGENET
    try:
        device = select_device(args.device)
        choice, record = model_for_weights(args.model, args.weights)  # the record's model; flags must agree with it
        model = build_model(choice, device)  # every tensor comes from the weights file
        load_checkpoint(model, args.weights)
        model.to(device)
        embedder = load_frame_embedder(source, device, args.backbone_weights)
    except BackboneWeightsUnavailable as error:
        log.error("error: %s\nOr pass a local copy of the file with --backbone-weights PATH.", error)
        return None
    except (ProjectError, OSError, CheckpointMismatch) as error:
        log.error("error: %s", display_path(str(error)))
        return None
    except ValueError as error:  # load_frame_embedder's word for a --backbone-weights file that does not fit
        if source is not BackboneSource.FILE:
            raise
        log.error("error: %s", display_path(str(error)))
        return None
    config = SummarizeConfig(
        ratio=args.ratio, seconds=args.seconds, sample_rate=args.sample_rate, segmentation=args.segmentation,
        batch_size=args.batch_size, video_codec=args.video_codec, audio_codec=args.audio_codec,
        progress=not args.quiet, settings=settings,
    )
    log.info("weights %s (%s) | backbone: %s | device %s", display_path(args.weights), choice.describe(),
             display_path(embedder.description), device)
    trained = [entry["message"] for entry in (record or {}).get("warnings", [])]  # train.py's signs of a useless model
    for message in trained:
        log.warning("warning: the training record of %s says the model looks useless: %s", display_path(args.weights), message)
    return Summarizer(model, embedder, args.weights, config, model_warnings=trained)


@dataclass
class _Progress:
    """What the run has done so far, for the line printed when it is interrupted."""

    total: int = 0
    finished: int = 0  # done now or by an earlier run
    failed: int = 0


def _names(jobs: list[VideoJob]) -> str:
    shown = ", ".join(display_path(job.source.name) for job in jobs[:5])
    return shown + (f" and {len(jobs) - 5} more" if len(jobs) > 5 else "")


def _summarise(args: argparse.Namespace, progress: _Progress) -> int:
    try:
        plans = plan_run(args)
        settings = run_settings(args)
    except (ProjectError, OSError) as error:
        log.error("error: %s", display_path(str(error)))
        return 2
    progress.total = len(plans)
    log.info("%s", where_outputs_go("the summaries", args.out))
    outputs = [path for plan in plans for path in plan.paths.values()]
    with hold_output_folder(args.out, outputs) as hold:
        for path in hold.removed:
            log.info("removed %s, left half-written by an interrupted run", display_path(path))
        for path in hold.kept:
            log.info("left %s alone (half-written by an interrupted run, or by another run writing here now)", display_path(path))
        try:
            jobs = [assess_source(plan, settings, args.overwrite) for plan in plans]
        except OSError as error:
            log.error("error: %s", display_path(str(error)))
            return 2
        done = [job for job in jobs if job.state is JobState.DONE]
        blocked = [job for job in jobs if job.state is JobState.BLOCKED]
        todo = [job for job in jobs if job.state is JobState.TODO]
        progress.finished = len(done)
        if done:
            log.info("%d video(s) already summarised by an earlier run of this command, skipped: %s", len(done), _names(done))
        for job in blocked:
            log.error("FAILED %s", job.reason)
        outcomes = []
        if todo:
            if args.ray or args.ray_address:  # the same per-video work on Ray workers (summarize/library.py)
                return _summarise_on_ray(args, settings, blocked, todo, progress)
            ahead = _decode_ahead(args, todo[0])
            pictures = None
            try:
                pictures = _picture_helper(args)
                summarizer = _load_summarizer(args, settings)
                if summarizer is None:
                    return 2
                from summarize.runner import summarize_all

                log.info("%d video(s) to summarise -> %s", len(todo), display_path(args.out))
                for outcome in summarize_all(summarizer, todo, ahead, pictures):
                    outcomes.append(outcome)
                    progress.finished += outcome.ok
                    progress.failed += not outcome.ok
            finally:
                try:
                    if pictures is not None:
                        pictures.close()
                finally:
                    if ahead is not None:
                        ahead.close()
    return _report(blocked, todo, outcomes, progress)


def _decode_ahead(args: argparse.Namespace, job: VideoJob) -> Any:
    """On the full route, the first video's frames decoded by a helper process while torch and the
    networks load (features/decode_ahead.py; 0.3-0.5 s of a 20 s clip's 11 s on two cores); None
    where none starts. Not on the fast route: measured on a 60 s clip, the helper slowed the
    loading and the network's two-thread batches as much as it saved."""
    route = args.segmentation
    if route is not Segmentation.FULL:
        return None
    from features.crop import GOOGLENET_CROP  # the embedder's preprocessing, known without torchvision
    from features.decode_ahead import start_decoding

    return start_decoding(job.source, route.frames_between_embeddings(args.sample_rate), GOOGLENET_CROP)


def _picture_helper(args: argparse.Namespace) -> Any:
    """When pictures are written, a helper process that imports matplotlib now and draws each
    picture while the video is written (summarize/picture_ahead.py: 0.3 s of a 20 s clip's run on
    two cores); None where none starts."""
    if args.no_extras:  # no pictures to draw
        return None
    from summarize.picture_ahead import start_picture_helper

    return start_picture_helper()


def _summarise_on_ray(args: argparse.Namespace, settings: dict[str, Any], blocked: list[VideoJob], todo: list[VideoJob],
                      progress: _Progress) -> int:
    """--ray: every worker loads the networks with _load_summarizer, then takes videos as it frees up."""
    from functools import partial

    import generate_video  # by name, also when run as a script: the workers import the loader, not a copy
    from summarize.library import summarize_on_ray
    from utils.cluster import PoolConfig, WorkersUnavailable

    load = partial(generate_video._load_summarizer, argparse.Namespace(**{**vars(args), "quiet": True}), settings)
    config = PoolConfig(address=args.ray_address, workers=args.ray_workers, use_gpus=args.device != "cpu")
    log.info("%d video(s) to summarise on Ray -> %s", len(todo), display_path(args.out))
    outcomes = []
    try:
        for outcome in summarize_on_ray(load, todo, config):
            outcomes.append(outcome)
            progress.finished += outcome.ok
            progress.failed += not outcome.ok
    except (WorkersUnavailable, ConnectionError) as error:
        log.error("error: %s", error)
        return 2
    return _report(blocked, todo, outcomes, progress)


def _report(blocked: list[VideoJob], todo: list[VideoJob], outcomes: list[Any], progress: _Progress) -> int:
    """The run's last lines and its exit status: 0 when every video is summarised (now or before), else 1."""
    failures = [job.reason for job in blocked] + [o.message for o in outcomes if not o.ok]
    if outcomes and outcomes[-1].disk_full:
        log.error("\nstopped: the disk is full. %d video(s) finished, %d not started. Free some space and run the same command "
                  "again: finished videos are skipped.", progress.finished, len(todo) - len(outcomes))
    if failures:
        log.error("\n%d of %d video(s) failed:\n%s", len(failures), progress.total, "\n".join(f"  {m}" for m in failures))
        return 1
    return 0


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    progress = _Progress()
    try:
        return _summarise(args, progress)
    except KeyboardInterrupt:  # each write in progress removed its temporary file on the way out
        log.error("\ninterrupted: %d of %d video(s) finished%s; run the same command again to do the rest "
                  "(finished videos are skipped)", progress.finished, progress.total,
                  f", {progress.failed} failed" if progress.failed else "")
        return EXIT_INTERRUPTED


def run() -> None:
    """The command line (``python generate_video.py`` and the installed console command, pyproject.toml [project.scripts])."""
    take_sigterm_as_interrupt()  # a kill stops as Ctrl-C does: temporary files removed, one line said
    exit_now(main(parse_args()))  # without the interpreter's teardown: see utils/exit.py


if __name__ == "__main__":
    run()
