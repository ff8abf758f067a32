"""What the page is allowed to do, decided once from app.py's flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class AppSettings:
    host: str = "127.0.0.1"  # bound to this machine unless asked otherwise
    port: int | None = None  # None: a free port
    allow: tuple[Path, ...] = ()  # folders whose files a typed path may name (resolved)
    max_upload: str = "2gb"  # gradio's size text ("500mb", "2gb"): bigger uploads are refused with a message
    device: str | None = None  # the default of the device box (None: CUDA when available, else CPU)
    work_root: Path = field(default_factory=Path)  # every session's folder lives under it; removed at exit

    @property
    def local_only(self) -> bool:
        """Served to this machine only: a typed path may then name any file the user could open anyway."""
        return self.host in LOCAL_HOSTS
