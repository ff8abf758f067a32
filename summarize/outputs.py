"""What a user gets beside the summary video: a JSON record and a picture to glance at.

Both carry the run's fingerprint (summarize.provenance), so a rerun recognises them; both name
files as ``display_path`` text, so a name that is not UTF-8 is written as escapes, never a crash.
"""

from __future__ import annotations

import io
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from summarize.provenance import PNG_KEY, mark_text
from summarize.selection import Selection
from utils import atomic_output, write_json_atomic
from utils.paths import display_path
from video.orientation import UPRIGHT, Orientation
from video.reader import frames_at
from video.timing import FrameClock

MAX_KEYFRAMES = 8


@dataclass
class VideoSummaryRecord:
    source: Path
    fps: float
    n_frames: int
    shots: np.ndarray  # Sized [S, 2]
    shot_scores: list[float]
    selection: Selection
    weights: Path
    backbone: str
    segmentation: str
    summary_video: Path | None
    clock: FrameClock  # when each frame is shown (variable-rate videos are not i / fps)
    fingerprint: str = ""  # the run's, for recognising this output later (summarize.provenance)
    settings: dict[str, Any] = field(default_factory=dict)  # what the fingerprint covers, for a reader
    orientation: Orientation = UPRIGHT  # how the source is shown (a phone's quarter turn)
    warnings: list[str] = field(default_factory=list)  # signs of a useless model (evaluation/degenerate.py), shown in red

    def payload(self) -> dict:
        fps, clock = self.fps, self.clock
        kept = int(self.selection.keep.sum())
        source = display_path(self.source)
        return {
            "source": source,
            # the exact bytes, when the name is not UTF-8 and "source" shows it with escapes
            **({"source_path_bytes": os.fsencode(self.source).hex()} if source != str(self.source) else {}),
            "fps": fps,
            "n_frames": self.n_frames,
            "duration_seconds": clock.total_seconds,
            "variable_frame_rate": not clock.constant_rate,
            "segmentation": self.segmentation,
            "shots": [
                {"index": i, "first_frame": int(a), "last_frame": int(b), "start_seconds": clock.seconds_from_first(a),
                 "end_seconds": clock.end(b) - float(clock.starts[0]), "score": score, "chosen": i in self.selection.chosen_shots,
                 "frames_in_summary": int(self.selection.keep[a:b + 1].sum())}
                for i, ((a, b), score) in enumerate(zip(self.shots.tolist(), self.shot_scores, strict=True))
            ],
            "chosen_shots": self.selection.chosen_shots,
            "budget_frames": self.selection.budget,
            "budget_seconds": self.selection.budget / fps,
            "summary_frames": kept,
            "summary_seconds": clock.kept_seconds(self.selection.keep),
            "summary_ratio": kept / self.n_frames,
            "fallback": self.selection.fallback,
            "weights": display_path(self.weights),
            "backbone": display_path(self.backbone),
            "summary_video": display_path(self.summary_video) if self.summary_video else None,
            "display_rotation_degrees": 90 * self.orientation.quarter_turns,  # counter-clockwise, as players turn it
            "display_mirrored": self.orientation.mirrored,
            "fingerprint": self.fingerprint,
            "settings": self.settings,
            "warnings": self.warnings,
        }


def write_record(record: VideoSummaryRecord, path: Path) -> None:
    write_json_atomic(path, record.payload())


def keyframe_indices(record: VideoSummaryRecord) -> list[int]:
    """The middle frame of each kept run, best-scoring runs first, at most MAX_KEYFRAMES, in time order."""
    keep = record.selection.keep.astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep, [0]])))
    runs = list(zip(edges[::2], edges[1::2] - 1, strict=True))
    runs.sort(key=lambda run: -float(record.selection.frame_scores[run[0]:run[1] + 1].mean()))
    return sorted((a + b) // 2 for a, b in runs[:MAX_KEYFRAMES])


def keyframes(record: VideoSummaryRecord) -> tuple[list[int], list[np.ndarray]]:
    """The keyframes' indices and pictures as a player shows them (turned upright); frames that
    cannot be read back are left out. Pictures Sized [H, W, 3] uint8."""
    indices = keyframe_indices(record)
    clock = record.clock
    shown = frames_at(record.source, [float(clock.starts[i]) for i in indices], 0.5 * float(clock.durations.min()))
    found = [(i, record.orientation.upright(f)) for i, f in zip(indices, shown, strict=True) if f is not None]
    return [i for i, _ in found], [f for _, f in found]


def load_matplotlib() -> Any:
    """matplotlib's pyplot on the Agg canvas; imported here, not at the top: only the picture needs
    it, and it is slow to import (0.2-0.3 s, which summarize.picture_ahead takes off the run's path)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_picture(record: VideoSummaryRecord, path: Path, note: str | None = None) -> None:
    """``draw_picture``'s PNG written to ``path``, complete or not at all."""
    write_png(draw_picture(record, note), path)


def write_png(picture: bytes, path: Path) -> None:
    with atomic_output(path) as tmp:
        tmp.write_bytes(picture)


def draw_picture(record: VideoSummaryRecord, note: str | None = None) -> bytes:
    """Importance over time with shot boundaries and the kept frames shaded, and a keyframe strip, as
    PNG bytes (drawn apart from writing, so that a helper process can draw it)."""
    plt = load_matplotlib()
    indices, frames = keyframes(record)
    clock = record.clock
    columns = max(len(frames), 1)
    notes = [line for message in record.warnings for line in textwrap.wrap(f"warning: {message}", 160, subsequent_indent="  ")]
    below = 0.17 * len(notes) + 0.2 if notes else 0.0  # inches of red text under the panels
    figure = plt.figure(figsize=(12, (5.5 if frames else 3.5) + below), dpi=100)
    grid = figure.add_gridspec(2 if frames else 1, columns, height_ratios=[2, 1.3] if frames else [1])
    axis = figure.add_subplot(grid[0, :])
    seconds = clock.starts - clock.starts[0]
    axis.plot(seconds, record.selection.frame_scores, color="tab:blue", linewidth=1.2, label="importance")
    for first, _ in record.shots[1:]:
        axis.axvline(seconds[first], color="0.75", linewidth=0.6)
    keep = record.selection.keep
    axis.fill_between(seconds, 0, 1, where=keep, color="tab:orange", alpha=0.3, step="mid", label="in the summary",
                      transform=axis.get_xaxis_transform())
    title = (f"{record.source.name}: {clock.total_seconds:.1f} s -> {clock.kept_seconds(keep):.1f} s, "
             f"{len(record.shots)} shots ({record.segmentation} segmentation)") + (f"\n{note}" if note else "")
    if notes:  # a summary that looks ordinary must not hide that its scores say nothing
        title = f"WARNING, USELESS MODEL: {title}"
    axis.set_title(display_path(title), fontsize=10, parse_math=False, **({"color": "tab:red"} if notes else {}))  # a '$' in a name is not TeX
    axis.set_xlabel("seconds")
    axis.set_ylabel("score")
    axis.set_xlim(0, max(seconds[-1], 1e-3))
    axis.legend(loc="upper right", fontsize=8)
    for column, (index, frame) in enumerate(zip(indices, frames, strict=False)):
        image_axis = figure.add_subplot(grid[1, column])
        image_axis.imshow(frame)
        image_axis.set_title(f"{seconds[index]:.1f} s", fontsize=8)
        image_axis.axis("off")
    if notes:
        figure.text(0.01, 0.01, "\n".join(notes), fontsize=8, color="tab:red", va="bottom", ha="left", parse_math=False)
        figure.tight_layout(rect=(0, below / figure.get_figheight(), 1, 1))
    else:
        figure.tight_layout()
    picture = io.BytesIO()
    try:
        figure.savefig(picture, format="png", metadata={PNG_KEY: mark_text(record.fingerprint)})
    finally:
        plt.close(figure)
    return picture.getvalue()
