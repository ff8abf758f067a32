"""One summary asked for in the page: generate_video.py run on the same options in a process of its
own, so that its outputs are byte for byte those of the command, a Cancel stops it as Ctrl-C does
(temporary files removed), and a crash leaves the page running.

The process runs in the job's own folder with ``--out summary``, so every path it records is the
one the same command, run in any folder, records.
"""

from __future__ import annotations

import enum
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from utils.exit import EXIT_INTERRUPTED
from utils.progress import BARS_FOR_A_READER
from webapp.progress import Progress, Stage, read_progress

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "generate_video.py"
OUT_NAME = "summary"  # the --out folder, inside the job's folder
STOP_GRACE_SECONDS = 10.0  # after a Cancel, how long the command may take to remove its temporary files


class BackboneChoice(enum.Enum):
    """Where the frame features come from, as generate_video.py's flags say it."""

    CACHED = ("the ImageNet GoogLeNet file in the torch hub cache", ())
    RANDOM = ("STAND-IN: random GoogLeNet (--random-backbone; demos and tests only)", ("--random-backbone",))

    def __init__(self, label: str, flags: tuple[str, ...]) -> None:
        self.label = label
        self.flags = flags


@dataclass(frozen=True)
class SummaryOptions:
    weights: Path
    seconds: float | None = None  # the summary's length at most; None: ratio
    ratio: float = 0.15  # share of the video, in (0, 1]
    segmentation: str = "fast"  # a features.segmentation.Segmentation value
    device: str | None = None
    backbone: BackboneChoice = BackboneChoice.CACHED


def command(source: Path, options: SummaryOptions) -> list[str]:
    """generate_video.py's command line for these options, run in the job's folder."""
    length = ["--seconds", repr(options.seconds)] if options.seconds is not None else ["--ratio", repr(options.ratio)]
    device = ["--device", options.device] if options.device else []
    return [sys.executable, str(SCRIPT), str(source), "--weights", str(options.weights), "--out", OUT_NAME,
            "--segmentation", options.segmentation, *length, *device, *options.backbone.flags]


def shown_command(source: Path, options: SummaryOptions) -> str:
    """The same command as a user would type it (python generate_video.py ...)."""
    return shlex.join(["python", "generate_video.py", *command(source, options)[2:]])


@dataclass(frozen=True)
class SummaryResult:
    video: Path | None
    record: Path
    picture: Path
    payload: dict  # the JSON record


class JobState(enum.Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


_ERROR_LINE = re.compile(r"^(error: |FAILED )(?P<text>.*)")


class SummaryJob:
    """generate_video.py running for one video; read ``progress`` while it runs, ``finish()`` after."""

    def __init__(self, source: Path, options: SummaryOptions, folder: Path) -> None:
        self.folder = folder
        self.progress = Progress(Stage.LOADING)
        self.lines: list[str] = []  # its log lines, bars left out
        self.cancelled = False
        self._process = subprocess.Popen(
            command(source, options), cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, process_group=0,  # its own group: a Ctrl-C of the page is not its (same session)
            env={**os.environ, "PYTHONUNBUFFERED": "1", BARS_FOR_A_READER: "1"},  # its bars, though stderr is a pipe
        )
        self._ended = threading.Event()  # set by the reader once the command has exited: a waiting page wakes at once
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Each line and each bar redraw (tqdm ends them with a carriage return) as it comes; at the end
        of its stderr, the command's exit, said at once to whoever waits (no polling interval lost)."""
        try:
            pending = b""
            assert self._process.stderr is not None
            while chunk := self._process.stderr.read1(65536):
                pending += chunk
                *parts, pending = re.split(rb"[\r\n]", pending)
                for raw in parts:
                    self._take(raw.decode("utf-8", "replace"))
            self._take(pending.decode("utf-8", "replace"))
        finally:
            self._process.wait()  # its stderr closed: it is exiting
            self._ended.set()

    def _take(self, line: str) -> None:
        if not line.strip():
            return
        seen = read_progress(line, self.progress)
        if seen is self.progress:  # not a bar: a log line
            self.lines.append(line)
        self.progress = seen

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def wait(self, timeout: float) -> bool:
        """True once the command has ended; returns the moment it ends (woken by the reader), else after ``timeout``."""
        return self._ended.wait(timeout) or self._process.poll() is not None

    def cancel(self) -> None:
        """Stop it as Ctrl-C would (generate_video.py removes its temporary files), then for good."""
        if not self.running:
            return
        self.cancelled = True
        self._process.send_signal(signal.SIGTERM)
        if not self.wait(STOP_GRACE_SECONDS):
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def finish(self) -> tuple[JobState, SummaryResult | None, str]:
        """The outcome once the command has ended: its state, its outputs, and what it said."""
        code = self._process.wait()
        self._reader.join()
        if self.cancelled or code == EXIT_INTERRUPTED:
            return JobState.CANCELLED, None, "cancelled: nothing was kept"
        if code != 0:
            return JobState.FAILED, None, self.problem()
        out = self.folder / OUT_NAME
        record = next(out.glob("*.json"))
        payload = json.loads(record.read_text(encoding="utf-8"))
        video = Path(self.folder / payload["summary_video"]) if payload.get("summary_video") else None
        self.progress = Progress(Stage.DONE, 1.0)
        return JobState.DONE, SummaryResult(video, record, record.with_suffix(".png"), payload), "\n".join(self.lines)

    def problem(self) -> str:
        """What went wrong, as the command said it: its error lines, else its last line (a bug's)."""
        said = [match["text"] for line in self.lines if (match := _ERROR_LINE.match(line))]
        if said:
            return "\n".join(dict.fromkeys(said))
        last = self.lines[-1] if self.lines else "no message"
        return f"the summariser stopped unexpectedly: {last}"
