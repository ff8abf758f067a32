"""What a summary run will read and write, decided before any heavy import and before any video is
decoded: the videos, and one set of output names for each, no two videos sharing one (two folders'
``clip.mp4``; ``clip.mp4`` and ``clip.mkv``; ``Clip.mp4`` and ``clip.mp4`` on a case-blind disk).
That no output is an input is every command's one check, engine/run_outputs.refuse_collisions.
Torch-free, so that a user's mistake is answered in a fraction of a second.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from utils.errors import ProjectError
from utils.paths import display_path

log = logging.getLogger(__name__)


class PlanError(ProjectError):
    """A run that would write two videos' outputs under one name, or read a missing input; refused before
    any work. The message names the paths."""


def _name_key(name: str) -> str:
    """Names that one disk or another treats as the same file (case, Unicode composition) get one key."""
    return unicodedata.normalize("NFC", name).casefold()


@dataclass(frozen=True)
class VideoOutputs:
    """One video and the files its summary goes to."""

    source: Path
    label: str  # the outputs' shared name: the video's stem, or longer when another video has that stem
    paths: dict[str, Path]  # kind ("video", "json", "png") -> path, in the order they are written


def output_kinds(container: str, write_video: bool, write_extras: bool) -> dict[str, str]:
    """kind -> suffix of the outputs each video gets."""
    kinds = {}
    if write_video:
        kinds["video"] = f".{container}"
    if write_extras:
        kinds["json"] = ".json"
        kinds["png"] = ".png"
    return kinds


def _parent_names(path: Path) -> list[str]:
    return list(Path(os.path.abspath(path)).parent.parts[1:])  # without the root


def _distinct_labels(group: list[Path]) -> dict[Path, str] | None:
    """Labels for videos that share a stem: the fewest parent folders (and, when two share a folder,
    the extension) that tell them apart, joined by '_': cam1/clip.mp4 -> 'cam1_clip'."""
    deepest = max(len(_parent_names(p)) for p in group)
    for with_extension in (False, True):
        for depth in range(0 if with_extension else 1, deepest + 1):
            labels = {}
            for path in group:
                folders = _parent_names(path)
                parts = [*folders[len(folders) - depth:], path.stem] if depth else [path.stem]
                if with_extension:
                    parts.append(path.suffix.lstrip("."))
                labels[path] = "_".join(parts)
            if len({_name_key(label) for label in labels.values()}) == len(group):
                return labels
    return None


def name_outputs(videos: list[Path], out_dir: Path, kinds: dict[str, str]) -> list[VideoOutputs]:
    """Every video's output paths in ``out_dir``: ``<stem><suffix>``, or, for videos that share a stem
    (in any case), a longer label from their folders; each such renaming is logged. Names keep the
    source's own bytes (a name that is not UTF-8 stays as it is on disk).

    Raises:
        PlanError: two outputs would still share a name (the message names both videos).
    """
    labels = {path: path.stem for path in videos}
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for path in videos:
        by_stem[_name_key(labels[path])].append(path)
    for group in by_stem.values():
        if len(group) == 1:
            continue
        distinct = _distinct_labels(group)
        if distinct is None:
            raise PlanError("these videos' summaries would have the same name: " + ", ".join(map(display_path, group))
                            + "; rename one of them")
        labels.update(distinct)
        log.info("videos with the same name get outputs named after their folders: %s",
                 "; ".join(f"{display_path(p)} -> {display_path(distinct[p])}.*" for p in group))
    owners: dict[str, Path] = {}
    for path in videos:
        key = _name_key(labels[path])
        if key in owners:  # a longer label met another video's plain stem
            raise PlanError(f"the summaries of {display_path(owners[key])} and {display_path(path)} would have the same name "
                            f"({display_path(labels[path])}); rename one of them")
        owners[key] = path
    return [VideoOutputs(path, labels[path], {kind: out_dir / f"{labels[path]}{suffix}" for kind, suffix in kinds.items()})
            for path in videos]
