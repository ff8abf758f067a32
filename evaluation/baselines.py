"""Reference rows for a results table, on the model's own protocol (reference section 5).

- Random: uniform random step scores, scored by ``evaluate_video`` exactly as a model's, averaged
  over many draws; tau and rho should come out near 0 and F1 shows what the knapsack alone gives.
- Human: how well the annotators agree with each other (Otani et al., CVPR 2019). Every pair of
  annotators is rank-correlated (TVSum: each annotator's scores divided by their maximum, every
  15th frame, as for a model; SumMe: the users' 0/1 summaries, frame level), the pairs are
  averaged per video, then the videos. F1: each user's summary against all the others', with the
  dataset's max/mean rule.

    python -m cli.baselines --dataset TVSum --data-dir data [--json PATH]

TVSum's human tau/rho need only ``ydata-anno.tsv``; without the h5 file the rows that need it
(Random, human F1) are reported as unavailable.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from config import FRAME_SAMPLE_RATE, TVSUM_ANNOTATION_FILE, CorrelationTarget, DatasetSpec
from dataset.annotations import annotator_step_scores, read_tvsum_annotations
from dataset.benchmark import load_benchmark
from dataset.errors import DataError
from dataset.h5 import VideoRecord
from dataset.scorable import constant_rows
from evaluation.agreement import leave_one_out_f1, pairwise_rank_agreement
from evaluation.protocol import annotator_scores, evaluate_video, mean_metrics
from evaluation.random_draws import RANDOM_DRAWS

log = logging.getLogger("baselines")


@dataclass(frozen=True)
class BaselineRow:
    """One row of a results table; ``None`` where the data to compute it is not there."""

    name: str
    f1: float | None  # percent
    kendall: float | None
    spearman: float | None
    n_videos: int
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def random_baseline(videos: Sequence[VideoRecord], spec: DatasetSpec, draws: int = RANDOM_DRAWS, seed: int = 0) -> BaselineRow:
    """Mean over ``draws`` of the per-video mean metrics of uniform random step scores."""
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    if not videos:
        raise DataError(f"{spec.name}: no videos for the random baseline")
    rng = np.random.default_rng(seed)
    per_draw = [
        mean_metrics([evaluate_video(rng.random(video.n_steps, dtype=np.float32), video, spec) for video in videos])
        for _ in range(draws)
    ]
    mean = mean_metrics(per_draw)
    spread = np.std([m.kendall for m in per_draw])
    return BaselineRow("Random", mean.f1, mean.kendall, mean.spearman, len(videos),
                       f"uniform scores, {draws} draws (seed {seed}); std of tau over draws {spread:.4f}")


def _human_correlation_rows(video: VideoRecord, spec: DatasetSpec) -> np.ndarray:
    if spec.correlation_target is CorrelationTarget.EACH_ANNOTATOR:
        return annotator_scores(video)
    return video.user_summary


def human_baseline(videos: Sequence[VideoRecord], spec: DatasetSpec) -> BaselineRow:
    """Annotators against each other: pairwise tau/rho and leave-one-out F1, per video then the mean."""
    if not videos:
        raise DataError(f"{spec.name}: no videos for the human baseline")
    for video in videos:
        if video.user_summary.shape[0] < 2:
            raise DataError(f"{video.key}: {video.user_summary.shape[0]} user summary; the human baseline needs at least two")
    what = "annotators' scores" if spec.correlation_target is CorrelationTarget.EACH_ANNOTATOR else "users' 0/1 summaries"
    rows = [_human_correlation_rows(video, spec) for video in videos]
    for video, people in zip(videos, rows, strict=True):
        constant = constant_rows(people)
        if constant:
            raise DataError(f"{spec.name} {video.key}: the {what} of person(s) {', '.join(str(i + 1) for i in constant)} hold one value "
                            "throughout; their agreement with the others is undefined (NaN)")
    agreement = [pairwise_rank_agreement(people) for people in rows]
    f1 = [leave_one_out_f1(video.user_summary, spec.f1_reduction) for video in videos]
    return BaselineRow("Human", float(np.mean(f1)), float(np.mean([t for t, _ in agreement])),
                       float(np.mean([r for _, r in agreement])), len(videos), f"every pair of {what}")


def human_correlation_from_annotations(path: str | Path, sample_rate: int = FRAME_SAMPLE_RATE) -> BaselineRow:
    """TVSum's human tau/rho from ydata-anno.tsv alone (no h5); F1 is left unavailable."""
    annotations = read_tvsum_annotations(path)
    agreement = [pairwise_rank_agreement(annotator_step_scores(raw, sample_rate, f"{path}: video {video_id}")) for video_id, raw in annotations]
    return BaselineRow("Human", None, float(np.mean([t for t, _ in agreement])), float(np.mean([r for _, r in agreement])),
                       len(annotations), f"every pair of annotators' scores from {Path(path).name}; F1 needs the h5 file")


def dataset_baselines(spec: DatasetSpec, data_dir: Path, draws: int = RANDOM_DRAWS, seed: int = 0) -> tuple[list[BaselineRow], bool]:
    """Random and Human rows over every video of a dataset, and whether its h5 file is synthetic.

    TVSum with ``ydata-anno.tsv`` but no h5 file gives the human tau/rho and marks the rest unavailable.
    """
    data_dir = Path(data_dir)
    annotation_path = data_dir / TVSUM_ANNOTATION_FILE
    if spec.needs_annotation_file and not spec.h5_path(data_dir).is_file() and annotation_path.is_file():
        missing = f"needs {spec.h5_path(data_dir).name}"
        return [BaselineRow("Random", None, None, None, 0, missing), human_correlation_from_annotations(annotation_path)], False
    benchmark = load_benchmark(spec, data_dir)
    videos = list(benchmark.videos.values())
    return [random_baseline(videos, spec, draws, seed), human_baseline(videos, spec)], benchmark.synthetic


def human_row_or_unavailable(videos: Sequence[VideoRecord], spec: DatasetSpec) -> BaselineRow:
    """The Human row, or a row of n/a saying why (a report should not fail for want of a second annotator)."""
    try:
        return human_baseline(videos, spec)
    except DataError as error:
        return BaselineRow("Human", None, None, None, len(videos), f"unavailable: {error}")


def format_value(value: float | None, digits: int) -> str:
    """'n/a' for a value that could not be computed, 'nan' for an undefined one."""
    if value is None:
        return "n/a"
    return "nan" if math.isnan(value) else f"{value:.{digits}f}"


def baselines_table(dataset: str, rows: Sequence[BaselineRow], synthetic: bool) -> str:
    label = "  [SYNTHETIC data, not the real benchmark]" if synthetic else ""
    lines = [f"{dataset} baselines{label}", f"  {'':<8}{'F1 (%)':>9}{'tau':>9}{'rho':>9}{'videos':>8}  note"]
    for row in rows:
        lines.append(f"  {row.name:<8}{format_value(row.f1, 2):>9}{format_value(row.kendall, 3):>9}"
                     f"{format_value(row.spearman, 3):>9}{row.n_videos:>8}  {row.note}")
    return "\n".join(lines)
