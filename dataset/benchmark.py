"""One benchmark dataset ready for training and evaluation: its videos in memory, checked, with
TVSum's annotator scores attached, so that no epoch ever reopens a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config import FRAME_SAMPLE_RATE, TVSUM_ANNOTATION_FILE, DatasetSpec
from dataset.annotations import annotator_step_scores, read_tvsum_annotations
from dataset.errors import DataError
from dataset.h5 import VideoRecord, read_eccv16

H5_SOURCE_HINT = (
    "The eccv16 feature files (eccv16_dataset_summe_google_pool5.h5, eccv16_dataset_tvsum_google_pool5.h5) "
    "are the benchmark release of Zhang et al. (ECCV 2016) used by CSTA, PGL-SUM and DSNet; "
    "the CSTA README links them."
)
ANNOTATION_SOURCE_HINT = (
    "ydata-anno.tsv is ydata-tvsum50-anno.tsv from the TVSum dataset release (ydata-tvsum50-v1_1/data/)."
)


@dataclass
class Benchmark:
    spec: DatasetSpec
    h5_path: Path
    videos: dict[str, VideoRecord]
    synthetic: bool  # the h5 file was written by dataset/synthetic.py
    annotation_path: Path | None = None
    # what made the frame features of a built data set (a models.backbone.BackboneOrigin value), when recorded;
    # None for the benchmarks' own files
    feature_origin: str | None = None

    @property
    def stand_in_features(self) -> bool:
        """The features came from a stand-in backbone (random weights under the ImageNet file's name): every table says so."""
        return self.feature_origin == "stand-in"

    @property
    def feature_dim(self) -> int:
        """The features' width: 1024 (GoogLeNet pool5) but for a data set built with another --backbone."""
        return int(next(iter(self.videos.values())).features.shape[1])

    def subset(self, keys: tuple[str, ...]) -> list[VideoRecord]:
        return [self.videos[key] for key in keys]


def _attach_annotations(videos: dict[str, VideoRecord], annotation_path: Path, h5_path: Path) -> None:
    annotations = read_tvsum_annotations(annotation_path)
    if len(annotations) != len(videos):
        raise DataError(f"{annotation_path} annotates {len(annotations)} videos but {h5_path} has {len(videos)}")
    for (video_id, raw), video in zip(annotations, videos.values(), strict=True):
        scores = annotator_step_scores(raw, FRAME_SAMPLE_RATE, f"{annotation_path}: video {video_id} ({h5_path} [{video.key}])")
        if scores.shape[1] != video.n_steps:
            raise DataError(
                f"{annotation_path}: video {video_id} has {raw.shape[1]} annotated frames "
                f"({scores.shape[1]} steps) but {h5_path} [{video.key}] has {video.n_steps} steps"
            )
        video.annotator_scores = scores


def load_benchmark(spec: DatasetSpec, data_dir: str | Path) -> Benchmark:
    """Read and check one dataset from ``data_dir``; every problem is a DataError naming the file."""
    data_dir = Path(data_dir)
    h5_path = spec.h5_path(data_dir)
    if not h5_path.is_file():
        raise DataError(f"{spec.name} features not found: {h5_path}\n{H5_SOURCE_HINT} Put the file in {data_dir}/ or pass --data-dir.")
    videos, synthetic = read_eccv16(h5_path)
    annotation_path = None
    if spec.needs_annotation_file:
        annotation_path = data_dir / TVSUM_ANNOTATION_FILE
        if not annotation_path.is_file():
            raise DataError(
                f"{spec.name} annotations not found: {annotation_path}\n{ANNOTATION_SOURCE_HINT} "
                f"Put it in {data_dir}/ beside {h5_path.name}."
            )
        _attach_annotations(videos, annotation_path, h5_path)
    return Benchmark(spec, h5_path, videos, synthetic, annotation_path)
