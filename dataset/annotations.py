"""TVSum's per-annotator frame scores (ydata-anno.tsv), as the correlation protocol uses them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset.errors import DataError
from dataset.scorable import constant_rows


@dataclass(frozen=True)
class AnnotatedVideo:
    """One video's rows of an annotation file, in file order."""

    category: str  # the second field of its first row
    scores: np.ndarray  # Sized [n_annotators, n_frames], float64
    lines: tuple[int, ...]  # the file's line number of each row (1-based), for messages


def read_annotation_rows(path: str | Path) -> dict[str, AnnotatedVideo]:
    """Every video's rows of a ydata-anno.tsv-style file (id, category, comma-separated scores), by id
    in the order the videos first appear. Videos may have different numbers of annotators here.

    Raises:
        DataError: an unreadable file, a malformed line, rows of one video with different lengths,
            an annotator whose every score is <= 0 (no maximum to divide by); each names the line.
    """
    path = Path(path)
    videos: dict[str, tuple[str, list[np.ndarray], list[int]]] = {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a spreadsheet's "UTF-8" export starts with a byte-order mark
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from error
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise DataError(f"{path}:{line_number}: expected 3 tab-separated fields (id, category, scores), got {len(fields)}")
        try:
            scores = np.asarray(fields[2].split(","), dtype=np.float64)
        except ValueError as error:
            raise DataError(f"{path}:{line_number}: scores are not comma-separated numbers ({error})") from error
        if not np.isfinite(scores).all():
            raise DataError(f"{path}:{line_number}: scores include NaN or infinite values")
        _, rows, numbers = videos.setdefault(fields[0], (fields[1], [], []))
        if rows and len(scores) != len(rows[0]):
            raise DataError(f"{path}:{line_number}: {len(scores)} scores where earlier rows of {fields[0]} have {len(rows[0])}")
        if scores.max(initial=0) <= 0:
            raise DataError(f"{path}:{line_number}: every score is <= 0; cannot normalise by the annotator's maximum")
        rows.append(scores)
        numbers.append(line_number)
    if not videos:
        raise DataError(f"{path}: no annotations found")
    return {video_id: AnnotatedVideo(category, np.stack(rows), tuple(numbers)) for video_id, (category, rows, numbers) in videos.items()}


def read_tvsum_annotations(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """Each video's raw scores, in file order; every video must have the same number of annotators.

    Returns:
        A list of (youtube id, scores Sized [n_annotators, n_frames]) in the order the videos first
        appear, which is the order video_1 ... video_50 of the eccv16 file.
    """
    videos = read_annotation_rows(path)
    annotator_counts = {len(video.scores) for video in videos.values()}
    if len(annotator_counts) != 1:
        raise DataError(f"{path}: videos have different numbers of annotators: {sorted(annotator_counts)}")
    return [(video_id, video.scores) for video_id, video in videos.items()]


def annotator_step_scores(raw: np.ndarray, sample_rate: int, where: str) -> np.ndarray:
    """Each annotator's scores divided by that annotator's maximum, at every ``sample_rate``-th frame.

    Args:
        raw: Sized [n_annotators, n_frames].
        where: names the file and video in an error.

    Returns:
        Sized [n_annotators, ceil(n_frames / sample_rate)].

    Raises:
        DataError: an annotator whose scores are the same at every step, so that the rank correlation
            with them (and the mean over annotators) would be NaN.
    """
    scores = (raw / raw.max(axis=1, keepdims=True))[:, ::sample_rate]
    constant = constant_rows(scores)
    if constant:
        raise DataError(
            f"{where}: annotator(s) {', '.join(str(i + 1) for i in constant)} of {len(scores)} give the same score at every "
            f"feature step (every {sample_rate}th frame); the rank correlation with their scores is undefined (NaN)"
        )
    return scores
