"""What a user gets beside the summary video: a JSON record and a picture to glance at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from summarize.selection import Selection
from utils import atomic_output, write_json_atomic
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

    def payload(self) -> dict:
        fps, clock = self.fps, self.clock
        kept = int(self.selection.keep.sum())
        return {
            "source": str(self.source),
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
            "weights": str(self.weights),
            "backbone": self.backbone,
            "summary_video": str(self.summary_video) if self.summary_video else None,
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


def write_picture(record: VideoSummaryRecord, path: Path, note: str | None = None) -> None:
    """Importance over time with shot boundaries and the kept frames shaded, and a keyframe strip."""
    import matplotlib  # here, not at the top: only this picture needs it, and it is slow to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    indices = keyframe_indices(record)
    clock = record.clock
    shown = frames_at(record.source, [float(clock.starts[i]) for i in indices], 0.5 * float(clock.durations.min()))
    indices, frames = [i for i, f in zip(indices, shown, strict=True) if f is not None], [f for f in shown if f is not None]
    columns = max(len(frames), 1)
    figure = plt.figure(figsize=(12, 5.5 if frames else 3.5), dpi=100)
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
             f"{len(record.shots)} shots ({record.segmentation} segmentation)")
    axis.set_title(title + (f"\n{note}" if note else ""), fontsize=10)
    axis.set_xlabel("seconds")
    axis.set_ylabel("score")
    axis.set_xlim(0, max(seconds[-1], 1e-3))
    axis.legend(loc="upper right", fontsize=8)
    for column, (index, frame) in enumerate(zip(indices, frames, strict=False)):
        image_axis = figure.add_subplot(grid[1, column])
        image_axis.imshow(frame)
        image_axis.set_title(f"{seconds[index]:.1f} s", fontsize=8)
        image_axis.axis("off")
    figure.tight_layout()
    with atomic_output(path) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)
