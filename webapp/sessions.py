"""Each browser session's files in a folder of its own under the page's work folder, removed when
the session ends (or the page stops); the running summary of each session, so that Cancel finds it."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
from pathlib import Path

from webapp.summary_job import SummaryJob

_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Sessions:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._jobs: dict[str, SummaryJob] = {}
        self._lock = threading.Lock()

    def folder(self, session: str) -> Path:
        """The session's folder (made on first use); a name the browser sent is never a path."""
        name = session if _SAFE.fullmatch(session) else hashlib.sha256(session.encode()).hexdigest()[:32]
        path = self.root / f"session-{name}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def new_folder(self, session: str, prefix: str) -> Path:
        """A fresh folder for one job: nothing of an earlier job is ever written over."""
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.folder(session)))

    def start(self, session: str, job: SummaryJob) -> None:
        with self._lock:
            self._jobs[session] = job

    def running(self, session: str) -> SummaryJob | None:
        with self._lock:
            return self._jobs.get(session)

    def done(self, session: str, job: SummaryJob) -> None:
        with self._lock:
            if self._jobs.get(session) is job:
                del self._jobs[session]

    def end(self, session: str) -> None:
        """The session left: its summary stopped, its files removed."""
        job = self.running(session)
        if job is not None:
            job.cancel()
            self.done(session, job)
        shutil.rmtree(self.folder(session), ignore_errors=True)

    def end_all(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            job.cancel()
        shutil.rmtree(self.root, ignore_errors=True)
