"""Recognising the outputs a run made itself, so that the same command run again after an interruption
skips what is finished instead of refusing it or doing it twice.

Every output carries the run's fingerprint: a hash of the source file (path, size, modification
time) and of everything that changes the summary (weights and backbone files, budget, sample rate,
segmentation, encoders, device). The summary video holds it in its ``comment`` tag, the picture in
a PNG text chunk, the JSON record in its ``fingerprint`` field, so each file is recognised on its
own, with or without the others (``--no-extras``, ``--no-video``). A file under an output's name
that does not carry this run's fingerprint is someone else's: never replaced without overwrite,
unless it carries the fingerprint an earlier version of this program gave the same source and
settings (``Fingerprints.earlier``): that output is ours but stale, and is redone.

A video with a display matrix (a phone's portrait video) is fingerprinted with its orientation:
earlier versions analysed its frames as stored, sideways, and their outputs of it are redone; a
video without one keeps the fingerprint it always had, so its finished outputs are still skipped.
Torch-free.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.run_outputs import exists_message
from summarize.summary_plan import VideoOutputs
from utils.errors import ProjectError
from utils.paths import display_path
from video.orientation import UPRIGHT, Orientation
from video.reader import read_orientation

log = logging.getLogger(__name__)

FORMAT = "csta-summary/1"  # bumped when a change to the program changes its summaries
PNG_KEY = "csta-summary"
_MARK = re.compile(r"csta-summary/\d+ fingerprint ([0-9a-f]{40})")


def describe_file(path: str | os.PathLike | None) -> dict[str, Any] | None:
    """Path (absolute, as text), size and modification time: what tells a changed file from the same one."""
    if path is None:
        return None
    absolute = os.path.abspath(path)
    st = os.stat(absolute)
    return {"path": display_path(absolute), "path_bytes": os.fsencode(absolute).hex(), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@dataclass(frozen=True)
class Fingerprints:
    """A source's fingerprint under these settings, and those earlier versions of the program gave it."""

    current: str  # 40 hex digits, written into every output
    earlier: tuple[str, ...]  # outputs carrying one of these are this program's, made before a change of analysis


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("ascii")).hexdigest()[:40]


def _source_orientation(source: Path) -> Orientation:
    """``source``'s display matrix; upright for a file that cannot be read (its summary reports why)."""
    try:
        return read_orientation(source)
    except ProjectError:
        return UPRIGHT


def source_fingerprints(source: Path, settings: dict[str, Any]) -> Fingerprints:
    """The run's fingerprint for ``source`` (40 hex digits over the source's description, its
    orientation when it has one, and ``settings``), and the earlier ones.

    Raises:
        OSError: ``source`` cannot be examined.
    """
    payload = {"format": FORMAT, "source": describe_file(source), "settings": settings}
    orientation = _source_orientation(source)
    if orientation.upright_as_stored:
        return Fingerprints(_digest(payload), ())
    shown = {"quarter_turns": orientation.quarter_turns, "mirrored": orientation.mirrored}
    # without the key: the fingerprint of the versions that analysed this video's frames as stored
    return Fingerprints(_digest({**payload, "frames_analysed_as_shown": shown}), (_digest(payload),))


def fingerprint(source: Path, settings: dict[str, Any]) -> str:
    """The run's fingerprint for ``source`` (``source_fingerprints``'s current one).

    Raises:
        OSError: ``source`` cannot be examined.
    """
    return source_fingerprints(source, settings).current


def mark_text(run_fingerprint: str) -> str:
    """The text stored in an output (the video's comment, the picture's text chunk)."""
    return f"{FORMAT} fingerprint {run_fingerprint} (made by generate_video.py: CSTA video summary)"


def _marked(text: object) -> str | None:
    match = _MARK.search(text) if isinstance(text, str) else None
    return match.group(1) if match else None


def read_mark(path: Path) -> str | None:
    """The fingerprint an output file carries; None for a file that carries none or cannot be read."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            record = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        found = record.get("fingerprint") if isinstance(record, dict) else None
        return found if isinstance(found, str) and re.fullmatch(r"[0-9a-f]{40}", found) else None
    if suffix == ".png":
        from PIL import Image  # only here: most runs find no earlier picture to read

        try:
            with Image.open(path) as image:
                return _marked(image.text.get(PNG_KEY))
        except (OSError, ValueError, SyntaxError):  # PIL's own reading errors are among these
            return None
    import av

    try:
        with av.open(str(path)) as container:
            tags = {key.lower(): value for key, value in container.metadata.items()}
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return None
    return _marked(tags.get("comment"))


class JobState(enum.Enum):
    TODO = "todo"
    DONE = "done"  # every output is present and carries this run's fingerprint
    BLOCKED = "blocked"  # another file is under an output's name, and overwrite was not given


@dataclass(frozen=True)
class VideoJob:
    """One video's work: its outputs, the run's fingerprint for it, and what the outputs on disk allow."""

    outputs: VideoOutputs
    fingerprint: str
    state: JobState
    replace: bool  # files under the output names may be replaced (ours from an earlier try, or overwrite given)
    reason: str = ""  # for BLOCKED: what is in the way

    @property
    def source(self) -> Path:
        return self.outputs.source

    @property
    def paths(self) -> dict[str, Path]:
        return self.outputs.paths


def assess(outputs: VideoOutputs, run_fingerprint: str, overwrite: bool, earlier: tuple[str, ...] = ()) -> VideoJob:
    """What to do with one video, from the files already under its output names.

    earlier: fingerprints whose outputs are this program's but stale (``Fingerprints.earlier``):
        redone and replaced, with or without overwrite.
    """
    present = [path for path in outputs.paths.values() if os.path.lexists(path)]
    if not present:
        return VideoJob(outputs, run_fingerprint, JobState.TODO, replace=overwrite)
    marks = {path: read_mark(path) for path in present}
    stale = [path for path in present if marks[path] is not None and marks[path] in earlier]
    foreign = [path for path in present if marks[path] != run_fingerprint and path not in stale]
    if not foreign and not stale and len(present) == len(outputs.paths):
        return VideoJob(outputs, run_fingerprint, JobState.DONE, replace=False)
    if stale:
        log.info("%s: made again, its summary (%s) was made by an earlier version of this program that analysed the video's "
                 "frames as stored, not as shown", display_path(outputs.source), ", ".join(map(display_path, stale)))
    if foreign and not overwrite:
        reason = f"{display_path(outputs.source)}: not made from this video with these settings: {exists_message(foreign)}"
        return VideoJob(outputs, run_fingerprint, JobState.BLOCKED, replace=False, reason=reason)
    return VideoJob(outputs, run_fingerprint, JobState.TODO, replace=True)


def assess_source(outputs: VideoOutputs, settings: dict[str, Any], overwrite: bool) -> VideoJob:
    """``assess`` with the fingerprints of ``outputs.source`` under ``settings``.

    Raises:
        OSError: the source cannot be examined.
    """
    prints = source_fingerprints(outputs.source, settings)
    return assess(outputs, prints.current, overwrite, prints.earlier)
