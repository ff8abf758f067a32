"""The paths a user names: text that can always be printed, a file's identity through links, and
the videos a list of files and folders holds.

Shared by the summariser (generate_video), the data-set builder and the feature extractor, which all
take "video files and folders of videos". Standard library only: a command line checks its inputs
with it in a fraction of a second, before any heavy import.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from utils.errors import ProjectError

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = ("mp4", "avi", "mkv", "mov", "webm", "m4v", "mpg", "mpeg", "wmv", "flv")


class InputError(ProjectError):
    """An input that does not exist or cannot be read or checked; the message names it."""


def display_path(path: str | bytes | os.PathLike) -> str:
    """``path`` (or any text holding one) as text that can always be printed, drawn and stored in UTF-8
    JSON: bytes of a name that are not UTF-8 (a file from another system) appear as ``\\xff``
    escapes instead of failing later in a plot or a strict JSON reader."""
    raw = os.fspath(path)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "backslashreplace")
    try:
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no file name decodes to
        return raw.encode("utf-8", "backslashreplace").decode("utf-8")


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file ``path`` leads to (links followed); None when nothing is there.

    Raises:
        InputError: the path exists but cannot be checked (names it).
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise InputError(f"{display_path(path)} cannot be checked ({error.strerror or error})") from error
    return st.st_dev, st.st_ino


@dataclass(frozen=True)
class Inputs:
    videos: list[Path]  # each file once, in the order given (folders sorted)
    folders: list[Path]  # the folders that were scanned


def find_videos(inputs: Iterable[Path], extensions: tuple[str, ...]) -> Inputs:
    """Files as given; folders scanned (not recursively) for the extensions, sorted. A file reached
    twice (named twice, or by a link) is taken once.

    Raises:
        InputError: an input that does not exist or cannot be read.
    """
    videos: list[Path] = []
    folders: list[Path] = []
    seen: dict[tuple[int, int], Path] = {}
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            folders.append(item)
            try:
                found = sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower().lstrip(".") in extensions)
            except OSError as error:
                raise InputError(f"input folder {display_path(item)} cannot be read ({error.strerror or error})") from error
        elif os.path.lexists(item) and not item.exists():
            raise InputError(f"{display_path(item)}: a link to a file that does not exist")
        elif not item.exists():
            raise InputError(f"{display_path(item)}: no such file or folder")
        else:
            found = [item]
        for path in found:
            identity = file_identity(path)
            if identity in seen:
                log.info("%s is %s again: summarised once", display_path(path), display_path(seen[identity]))
                continue
            seen[identity] = path
            videos.append(path)
    return Inputs(videos, folders)
