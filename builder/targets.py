"""From one video's labels to its eccv16 label fields (gtscore, gtsummary, user_summary, user_scores).

Annotators' user summaries from scores are made as the eccv16 TVSum file's were, and by the same
code that makes a model's summary (evaluation.summary.generate_summary): each annotator's frame
scores averaged over the KTS shots, a knapsack at 15% of the length. So the Human baseline
(evaluation.baselines) and a model are scored against summaries made one way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from builder.labels import ScoreLabels, SegmentLabels
from dataset.errors import DataError
from evaluation.summary import generate_summary

# Label and video lengths this close are the same video counted differently (a dropped first or last
# frame); the labels are trimmed or padded. Beyond it the labels were taken at another frame rate.
MAX_TRIM_FRAMES = 5
# A rate ratio beyond this is not another frame rate but another video.
MAX_RATE_RATIO = 8.0
# Segment ends this far past the video's end (seconds) are clipped silently (rounding of the end time).
END_SLACK_SECONDS = 0.5


@dataclass(frozen=True)
class VideoFacts:
    """What the labels are fitted to: the decoded video."""

    n_frames: int
    times: np.ndarray  # Sized [n_frames]: seconds from the first frame's start (variable rates kept)
    picks: np.ndarray  # Sized [T]
    change_points: np.ndarray  # Sized [S, 2]


@dataclass(frozen=True)
class Targets:
    fields: dict[str, np.ndarray]
    notes: list[str]  # how a length difference was resolved, in words


def fit_length(scores: np.ndarray, n_frames: int, where: str) -> tuple[np.ndarray, str | None]:
    """Scores Sized [U, L] brought to [U, n_frames], and how (None when they already fit).

    A few frames off: trimmed at the end or padded by repeating the last score. More: the labels
    were taken at another frame rate over the same span; each frame takes the score of the label
    frame at the same relative time.
    """
    length = scores.shape[1]
    if length == n_frames:
        return scores, None
    difference = n_frames - length
    if abs(difference) <= MAX_TRIM_FRAMES:
        if difference < 0:
            return scores[:, :n_frames], f"{length} labelled frames for {n_frames} decoded: the last {-difference} trimmed"
        padded = np.concatenate([scores, np.repeat(scores[:, -1:], difference, axis=1)], axis=1)
        return padded, f"{length} labelled frames for {n_frames} decoded: padded with the last score ({difference} frames)"
    ratio = n_frames / length
    if not 1 / MAX_RATE_RATIO <= ratio <= MAX_RATE_RATIO:
        raise DataError(f"{where}: {length} labelled frames for {n_frames} decoded frames (x{ratio:.3g}); "
                        "these labels are not for this video")
    source = np.minimum((np.arange(n_frames) * length) // n_frames, length - 1)
    return scores[:, source], (f"{length} labelled frames for {n_frames} decoded: resampled (labels taken at "
                               f"{1 / ratio:.4g}x the video's frame rate)")


def _normalised(values: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1]; a constant sequence becomes zeros (a harmless training target)."""
    spread = float(values.max() - values.min())
    return ((values - values.min()) / spread if spread > 0 else np.zeros_like(values)).astype(np.float32)


def _gtsummary(gtscore: np.ndarray, facts: VideoFacts) -> np.ndarray:
    """The step-level summary the ground-truth scores themselves would give under the protocol. Sized [T]."""
    frames = generate_summary(gtscore, facts.change_points, facts.n_frames, facts.picks)
    return frames[facts.picks].astype(np.float32)


def score_targets(labels: ScoreLabels, facts: VideoFacts, where: str) -> Targets:
    """Score labels: gtscore the annotators' mean at the picks (min-max to [0, 1]), a knapsack summary per annotator."""
    scores, note = fit_length(labels.scores, facts.n_frames, where)
    every_frame = np.arange(facts.n_frames)
    user_summary = np.stack([generate_summary(row, facts.change_points, facts.n_frames, every_frame) for row in scores])
    gtscore = _normalised(scores.mean(axis=0)[facts.picks])
    fields = {
        "gtscore": gtscore,
        "gtsummary": _gtsummary(gtscore, facts),
        "user_summary": user_summary.astype(np.float32),
        "user_scores": scores.astype(np.float32),
    }
    return Targets(fields, [note] if note else [])


def segment_frames(segments: list[tuple[float, float]], times: np.ndarray, where: str, annotator: str) -> tuple[np.ndarray, str | None]:
    """0/1 per frame: the frames shown during any of the segments [start, end) seconds. Sized [n_frames].

    A frame belongs to a segment when its start time lies in [start, end): at 29.97 fps a segment
    from 1 s to 2 s holds frames 30 ... 59. Segments past the video's end are clipped (and reported
    when by more than END_SLACK_SECONDS); a segment that starts after the end is an error.
    """
    chosen = np.zeros(len(times), dtype=np.uint8)
    duration = float(times[-1] + (times[-1] - times[-2] if len(times) > 1 else 0.0)) if len(times) else 0.0
    eps = 1e-6  # float seconds: 2.0 s at 30 fps is frame 60, whatever the last bit of 60 / 30
    note = None
    for start, end in segments:
        if start >= duration:
            raise DataError(f"{where}: annotator {annotator}'s segment {start:g}-{end:g} s starts after the video ends "
                            f"({duration:.3f} s); these labels are not for this video")
        if end > duration + END_SLACK_SECONDS:
            note = f"annotator {annotator}: a segment ends at {end:g} s, after the video ({duration:.3f} s); clipped"
        first, stop = np.searchsorted(times, [start - eps, end - eps], side="left")
        chosen[first:stop] = 1
    return chosen, note


def segment_targets(labels: SegmentLabels, facts: VideoFacts, where: str) -> Targets:
    """Segment labels: each annotator's chosen frames; gtscore the share of annotators choosing each pick."""
    rows, notes = [], []
    for annotator, segments in labels.segments.items():
        row, note = segment_frames(segments, facts.times, where, annotator)
        rows.append(row)
        if note:
            notes.append(note)
    user_summary = np.stack(rows).astype(np.float32)
    gtscore = user_summary.mean(axis=0)[facts.picks].astype(np.float32)
    fields = {"gtscore": gtscore, "gtsummary": _gtsummary(gtscore, facts), "user_summary": user_summary}
    return Targets(fields, notes)


def label_targets(labels: ScoreLabels | SegmentLabels, facts: VideoFacts, where: str) -> Targets:
    if isinstance(labels, ScoreLabels):
        return score_targets(labels, facts, where)
    return segment_targets(labels, facts, where)
