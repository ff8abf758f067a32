"""Reading a label file for build_dataset.py, checked in full before any video is decoded.

Two formats, told apart by their first line:
- scores: TVSum's ``ydata-anno.tsv`` layout, one line per annotator: file stem, a category,
  comma-separated per-frame scores (dataset.annotations reads the lines);
- segments: a CSV whose header is ``video,annotator,start,end``; one row per chosen segment,
  ``video`` the file's stem, start and end in seconds (SumMe style). Segments may overlap.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset.annotations import read_annotation_rows
from dataset.custom import LabelKind
from dataset.errors import DataError

SEGMENT_HEADER = ("video", "annotator", "start", "end")


@dataclass(frozen=True)
class ScoreLabels:
    """One video's per-frame scores."""

    scores: np.ndarray  # Sized [n_annotators, n_label_frames], float64


@dataclass(frozen=True)
class SegmentLabels:
    """One video's chosen segments, per annotator in order of first appearance."""

    segments: dict[str, list[tuple[float, float]]]  # annotator -> [(start, end) seconds]


@dataclass(frozen=True)
class LabelFile:
    path: Path
    kind: LabelKind
    videos: dict[str, ScoreLabels | SegmentLabels]  # by file stem, in file order


def read_labels(path: str | Path) -> LabelFile:
    """The labels of every video in ``path`` (the format from its first line).

    Raises:
        DataError: a missing or unreadable file, a malformed line, a duplicated annotator line; the
            message names the file and the line.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            first = next((line for line in stream if line.strip()), "")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from error
    header = tuple(field.strip().lower() for field in first.strip().split(","))
    if header == SEGMENT_HEADER:
        try:
            return LabelFile(path, LabelKind.SEGMENTS, _read_segments(path))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise DataError(f"{path}: cannot be read as a CSV ({error})") from error
    if "\t" not in first:
        raise DataError(f"{path}: neither a segment CSV (header {','.join(SEGMENT_HEADER)}) nor ydata-anno.tsv-style "
                        f"scores (id<TAB>category<TAB>scores); the first line starts {first[:60]!r}")
    return LabelFile(path, LabelKind.SCORES, _read_scores(path))


def _read_scores(path: Path) -> dict[str, ScoreLabels]:
    videos = {}
    for video_id, video in read_annotation_rows(path).items():
        seen: dict[bytes, int] = {}
        for row, line in zip(video.scores, video.lines, strict=True):
            earlier = seen.setdefault(row.tobytes(), line)
            if earlier != line:
                raise DataError(f"{path}:{line}: repeats line {earlier} of {video_id} exactly (a duplicated annotator line); "
                                "remove one of them")
        videos[video_id] = ScoreLabels(video.scores)
    return videos


def _seconds(text: str, where: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {name} {text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise DataError(f"{where}: {name} {text!r} must be a finite number of seconds >= 0")
    return value


def _read_segments(path: Path) -> dict[str, SegmentLabels]:
    videos: dict[str, dict[str, list[tuple[float, float]]]] = {}
    rows_seen: dict[tuple[str, str, float, float], int] = {}
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header_seen = False
        for row in reader:
            line = reader.line_num
            if not any(field.strip() for field in row):
                continue
            if not header_seen:
                header_seen = True
                continue
            where = f"{path}:{line}"
            if len(row) != len(SEGMENT_HEADER):
                raise DataError(f"{where}: expected {len(SEGMENT_HEADER)} fields ({','.join(SEGMENT_HEADER)}), got {len(row)}")
            video, annotator = row[0].strip(), row[1].strip()
            if not video or not annotator:
                raise DataError(f"{where}: empty video or annotator")
            start, end = _seconds(row[2].strip(), where, "start"), _seconds(row[3].strip(), where, "end")
            if end <= start:
                raise DataError(f"{where}: the segment ends ({end} s) before it starts ({start} s)")
            earlier = rows_seen.setdefault((video, annotator, start, end), line)
            if earlier != line:
                raise DataError(f"{where}: repeats line {earlier} exactly (a duplicated annotator line); remove one of them")
            videos.setdefault(video, {}).setdefault(annotator, []).append((start, end))
    if not videos:
        raise DataError(f"{path}: a header but no segments")
    return {video: SegmentLabels(annotators) for video, annotators in videos.items()}
