"""Which files a path typed into the page may name: anything on a page served to this machine only,
else (or whenever --allow is given) only files inside the --allow folders, links followed first, so
that no typed path reads an arbitrary file of the server."""

from __future__ import annotations

from pathlib import Path

from utils.errors import ProjectError
from utils.paths import display_path
from webapp.settings import AppSettings


class PathRefused(ProjectError):
    """A typed path the page may not read, or that names nothing readable; the message says why."""


def typed_path(text: str, settings: AppSettings, what: str) -> Path:
    """The file ``text`` names, resolved, once it is allowed and exists.

    Raises:
        PathRefused: outside the allowed folders, or not a file.
    """
    text = text.strip().strip('"').strip("'")
    if not text:
        raise PathRefused(f"no {what} given: upload one or type its path")
    path = Path(text).expanduser()
    if not settings.local_only and not settings.allow:
        raise PathRefused(f"typed paths are off on a page served beyond this machine (--host {settings.host}); "
                          f"upload the {what}, or restart with --allow DIR")
    resolved = path.resolve()
    if settings.allow and not any(resolved.is_relative_to(folder) for folder in settings.allow):
        raise PathRefused(f"{display_path(path)}: outside the folders this page may read "
                          f"({', '.join(display_path(f) for f in settings.allow)}; see --allow)")
    if not resolved.is_file():
        raise PathRefused(f"{display_path(path)}: no such file")
    return resolved


def may_read(path: Path, settings: AppSettings) -> bool:
    """Whether the page may read ``path`` (what it offers in its lists must pass the rule a typed path does)."""
    try:
        typed_path(str(path), settings, "file")
    except PathRefused:
        return False
    return True


def chosen_file(upload: str | None, text: str | None, settings: AppSettings, what: str) -> Path:
    """An upload wins over a typed path (uploads are always allowed)."""
    if upload:
        return Path(upload)
    return typed_path(text or "", settings, what)
