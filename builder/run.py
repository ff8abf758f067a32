"""build_dataset.py's work: plan (no torch), load the frame embedder, build, say what happened.

Exit status: 0 every video built, 1 the file was written but some videos were left out (listed;
their parts are kept for the next run), 2 nothing was written (a mistake in the command or the
labels, a missing file, or no video could be built), 130 stopped by Ctrl-C (finished videos kept).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from builder.build_plan import BuildPlan, build_outputs, plan_build, read_inputs
from builder.settings import BuildConfig, frame_transform, report_path
from engine.run_outputs import claim_outputs, where_outputs_go
from utils.errors import ProjectError
from utils.exit import EXIT_INTERRUPTED
from utils.paths import display_path

if TYPE_CHECKING:  # torch only once the plan is checked
    from builder.build import Extractor
    from features.embedder import FrameEmbedder

log = logging.getLogger("build_dataset")


def _log_plan(plan: BuildPlan) -> None:
    if plan.unlabelled:
        log.info("left out, no labels in the label file (%d): %s", len(plan.unlabelled), ", ".join(display_path(v) for v in plan.unlabelled))
    if plan.unmatched:
        log.info("labels for videos that are not among the inputs (%d, ignored): %s", len(plan.unmatched), ", ".join(plan.unmatched))
    log.info("%d videos, labels: %s", len(plan.videos), plan.kind.value)


def load_embedder(cfg: BuildConfig, device: str | None = None) -> FrameEmbedder | None:
    """The frame embedder ``cfg`` asks for (``cfg.backbone`` from torchvision's cache, --backbone-weights
    or random), with ``cfg.preprocess``'s transform; None after logging why it cannot be had.

    device: overrides ``cfg.device`` (the --ray driver checks the weights on the CPU).
    """
    from features.embedder import BackboneSource, load_frame_embedder
    from models.backbone import BackboneWeightsUnavailable
    from utils.runtime import select_device

    source = BackboneSource.RANDOM if cfg.random_backbone else BackboneSource.FILE if cfg.backbone_weights else BackboneSource.IMAGENET
    try:
        embedder = load_frame_embedder(source, select_device(device or cfg.device), cfg.backbone_weights, cfg.backbone)
    except BackboneWeightsUnavailable as error:
        log.error("error: %s\nOr pass a local copy of the file with --backbone-weights PATH.", error)
        return None
    except (ProjectError, OSError, ValueError) as error:  # ValueError: a --backbone-weights file that does not fit
        log.error("error: %s", display_path(str(error)))
        return None
    embedder.transform = frame_transform(cfg.preprocess, embedder.spec.weights)
    return embedder


def extractor(embedder: FrameEmbedder, cfg: BuildConfig) -> Extractor:
    """One video -> its part with ``embedder`` and ``cfg``'s stride, route and batch size."""
    from builder.video_features import extract_video

    return partial(extract_video, embedder=embedder, stride=cfg.stride, route=cfg.route, batch_size=cfg.batch_size,
                   progress=cfg.progress)


def load_extractor(cfg: BuildConfig) -> Extractor | None:
    """``extractor`` with ``cfg``'s embedder loaded here; None after logging why it cannot be. Module-level,
    so that Ray pickles it by name to the workers, each of which calls it once (builder.ray_build)."""
    embedder = load_embedder(cfg)
    return None if embedder is None else extractor(embedder, cfg)


def run_build(cfg: BuildConfig) -> int:
    """Build ``cfg.out``; every project or OS error is one line on the log and a non-zero status."""
    try:
        plan = plan_build(cfg)
        # the output's folder made (as train.py and generate_video.py make theirs) and proved writable before the CNN loads;
        # a folder made here is removed again if the build stops before writing into it
        claim = claim_outputs(build_outputs(cfg), read_inputs(cfg, plan.videos))
    except (ProjectError, OSError) as error:
        log.error("error: %s", display_path(str(error)))
        return 2
    log.info("%s", where_outputs_go("the data set", cfg.out))
    with claim:
        return _run_planned(cfg, plan)


def _run_planned(cfg: BuildConfig, plan: BuildPlan) -> int:
    """The build once its plan is checked and its output's folder exists."""
    _log_plan(plan)
    # torch only from here: every check above answers in a fraction of a second
    from builder.build import build, local_map
    from models.backbone import BackboneOrigin

    # with Ray the workers load their own; this one checks the weights and says what they are, on the CPU
    embedder = load_embedder(cfg, "cpu" if cfg.ray else None)
    if embedder is None:
        return 2
    log.info("features: %s | %s | every %d frames | shots: %s route", embedder.description, cfg.preprocess.description,
             cfg.stride, cfg.route.value)
    if cfg.ray:
        from builder.ray_build import ray_map

        video_map = ray_map(partial(load_extractor, replace(cfg, progress=False)), cfg)
    else:
        video_map = local_map(extractor(embedder, cfg))
    try:
        report = build(cfg, plan, video_map, embedder.description, embedder.origin.value)
    except (ProjectError, OSError) as error:
        log.error("error: %s", display_path(str(error)))
        return 2
    except KeyboardInterrupt:
        log.error("stopped; the videos finished so far are kept in %s.parts/: run the same command to resume",
                  display_path(cfg.out))
        return EXIT_INTERRUPTED
    for video, notes in report.notes.items():
        for note in notes:
            log.info("labels of %s: %s", video, note)
    label = embedder.origin.warning or ("" if embedder.origin in (BackboneOrigin.IMAGENET, BackboneOrigin.FILE) else embedder.description)
    log.info("wrote %s: %d videos (%d from an earlier run)%s; report %s", display_path(cfg.out), len(report.videos),
             report.resumed, f" [{label}]" if label else "", display_path(report_path(cfg.out)))
    if report.failed:
        log.info("left out (%d):\n  %s", len(report.failed), "\n  ".join(report.failed.values()))
        log.info("their finished neighbours are kept in %s.parts/; fix them and run again with --overwrite", display_path(cfg.out))
        return 1
    return 0

