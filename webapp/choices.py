"""What the summary view offers: the weights files found in the project, a STAND-IN when there are
none worth using, and where the frame features come from."""

from __future__ import annotations

import threading
from pathlib import Path

from config import DEFAULT_WEIGHTS_DIR
from utils.files import atomic_output
from webapp.access import may_read
from webapp.settings import AppSettings
from webapp.summary_job import ROOT, BackboneChoice

DEMO_WEIGHTS = ROOT / "demo_output" / "weights" / "SumMe" / "split1.pt"  # what make demo trains
STAND_IN_WEIGHTS = "STAND-IN: random CSTA weights (nothing learned; demos and tests only)"
STAND_IN_FILE_NAME = "STAND-IN_random_csta.pt"
_writing = threading.Lock()


def weights_choices(settings: AppSettings) -> list[str]:
    """The demo's trained weights first when present, then the project's weights files, then the STAND-IN; only
    files the page may read (a page confined to --allow folders offers none outside them)."""
    found = sorted(DEFAULT_WEIGHTS_DIR.glob("**/*.pt"))
    demo = sorted(DEMO_WEIGHTS.parent.parent.glob("**/*.pt")) if DEMO_WEIGHTS.parent.is_dir() else []
    ordered = ([DEMO_WEIGHTS] if DEMO_WEIGHTS.is_file() else []) + [p for p in demo + found if p != DEMO_WEIGHTS]
    return [str(path) for path in ordered if may_read(path, settings)] + [STAND_IN_WEIGHTS]


def stand_in_path(folder: Path) -> Path:
    """Where stand_in_weights writes them (the command can be shown before they are written)."""
    return folder / STAND_IN_FILE_NAME


def stand_in_weights(folder: Path) -> Path:
    """Random CSTA weights (seed 0), written once into ``folder``; imports torch on first use only."""
    path = stand_in_path(folder)
    with _writing:
        if not path.is_file():
            import torch

            from models.backbone import BackboneInit
            from models.csta import build_csta

            folder.mkdir(parents=True, exist_ok=True)
            torch.manual_seed(0)
            with atomic_output(path) as tmp:
                torch.save(build_csta(BackboneInit.RANDOM).state_dict(), tmp)
    return path


def cached_backbone() -> tuple[bool, bool]:
    """Whether the torch hub cache holds the ImageNet GoogLeNet file, and whether it is the STAND-IN
    one (python -m cli.stand_in) rather than ImageNet's."""
    from generate_video import imagenet_cache_file  # torch-free: the rule torchvision follows
    from models.backbone import STAND_IN_MARKER_SUFFIX

    path = imagenet_cache_file()
    return path.is_file(), path.with_name(path.name + STAND_IN_MARKER_SUFFIX).exists()


def backbone_choices() -> tuple[list[str], str]:
    """The labels offered and the one chosen by default (the cached file when there is one)."""
    present, _ = cached_backbone()
    labels = [choice.label for choice in BackboneChoice]
    return labels, (BackboneChoice.CACHED if present else BackboneChoice.RANDOM).label


def banner(weights_label: str, backbone_label: str) -> str:
    """A STAND-IN warning whenever the summary would say nothing about CSTA, else nothing."""
    warnings = []
    if weights_label == STAND_IN_WEIGHTS:
        warnings.append("the CSTA weights are random")
    if backbone_label == BackboneChoice.RANDOM.label:
        warnings.append("the frame features come from a random GoogLeNet")
    elif backbone_label == BackboneChoice.CACHED.label:
        present, stand_in = cached_backbone()
        if not present:
            warnings.append("no ImageNet GoogLeNet file is cached: the summary will stop and say where to put it")
        elif stand_in:
            warnings.append("the cached GoogLeNet file is the STAND-IN of python -m cli.stand_in (random, not ImageNet)")
    if not warnings:
        return ""
    return "### ⚠ STAND-IN: " + "; ".join(warnings) + ". This summary says nothing about CSTA's quality."
