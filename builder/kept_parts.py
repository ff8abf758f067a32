"""Each finished video kept on disk while a build runs, so that a killed build resumes where it stopped.

Beside the output ``my.h5`` a folder ``my.h5.parts/`` holds one small h5 file per finished video
(features, picks, shots, frame times: everything that costs decoding and the CNN; labels are
applied when the data set is assembled, so a corrected label file reuses them) and a manifest of
the settings the parts were made with. Each part is written under a temporary name and renamed
when complete, and records the size and modification time of its source: a part of a video that
has changed since, or made with other settings, is not reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from dataset.errors import DataError
from utils import atomic_output, write_json_atomic

MANIFEST = "manifest.json"
_H5_ERRORS = (OSError, KeyError, RuntimeError, TypeError, ValueError)


@dataclass
class VideoPart:
    """Everything about one video that the labels do not change."""

    source: str  # the video's file name (video_name)
    features: np.ndarray  # Sized [T, D], float32, at the picks
    picks: np.ndarray  # Sized [T], int64
    n_frames: int
    fps: float
    change_points: np.ndarray  # Sized [S, 2], int64, [first, last] inclusive
    times: np.ndarray  # Sized [n_frames], float64: seconds from the first frame's start
    seconds: dict[str, float]  # time per stage (decode+embed, kts, write)


def source_stamp(source: Path) -> dict[str, int]:
    """Size and modification time of a video: a part made from another version of it is not reused."""
    status = os.stat(source)
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns}


class PartStore:
    """The ``<output>.parts`` folder of one build."""

    def __init__(self, output: Path, settings: dict) -> None:
        self.folder = output.with_name(output.name + ".parts")
        self.settings = settings

    def open(self, restart: bool) -> int:
        """Create the folder, or check that its parts were made with these settings; returns how many parts it holds.

        restart: drop parts made with other settings instead of refusing.

        Raises:
            DataError: parts made with other settings (and not ``restart``).
        """
        manifest = self.folder / MANIFEST
        if manifest.is_file():
            try:
                earlier = json.loads(manifest.read_text())
            except (OSError, ValueError) as error:
                earlier = {"unreadable": str(error)}
            if earlier != self.settings:
                if not restart:
                    changed = sorted(k for k in set(earlier) | set(self.settings) if earlier.get(k) != self.settings.get(k))
                    raise DataError(f"{self.folder} holds videos built with other settings ({', '.join(changed)} differ); "
                                    "build with the same settings to resume, or pass --overwrite to start again")
                shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        if not manifest.is_file():
            write_json_atomic(manifest, self.settings)
        return sum(1 for _ in self.folder.glob("*.h5"))

    def path_for(self, source: Path) -> Path:
        """One part per source file: its stem and a digest of its absolute path."""
        digest = hashlib.sha1(os.fsencode(source.resolve())).hexdigest()[:12]
        return self.folder / f"{source.stem[:80]}-{digest}.h5"

    def finished(self, source: Path) -> VideoPart | None:
        """The part of ``source`` when one was completed from the same file, else None."""
        path = self.path_for(source)
        if not path.is_file():
            return None
        try:
            return read_part(path, source_stamp(source))
        except DataError:
            return None  # damaged or stale: made again

    def write(self, source: Path, part: VideoPart) -> None:
        write_part(self.path_for(source), part, source_stamp(source))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def write_part(path: Path, part: VideoPart, stamp: dict[str, int]) -> None:
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as h5:
        for name in ("features", "picks", "change_points", "times"):
            h5[name] = getattr(part, name)
        h5.attrs["source"] = part.source
        h5.attrs["n_frames"] = part.n_frames
        h5.attrs["fps"] = part.fps
        h5.attrs["seconds"] = json.dumps(part.seconds)
        h5.attrs["stamp"] = json.dumps(stamp)


def read_part(path: Path, stamp: dict[str, int] | None = None) -> VideoPart:
    """A finished part; a DataError when it is damaged or (given ``stamp``) made from another version of the video."""
    try:
        with h5py.File(path, "r") as h5:
            if stamp is not None and json.loads(h5.attrs["stamp"]) != stamp:
                raise DataError(f"{path}: made from another version of the video")
            return VideoPart(
                source=str(h5.attrs["source"]), features=h5["features"][()], picks=h5["picks"][()],
                n_frames=int(h5.attrs["n_frames"]), fps=float(h5.attrs["fps"]), change_points=h5["change_points"][()],
                times=h5["times"][()], seconds=json.loads(h5.attrs["seconds"]),
            )
    except _H5_ERRORS as error:
        raise DataError(f"{path}: cannot be read as a finished video ({error})") from error
