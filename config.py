"""Configuration shared by train.py, inference.py and the packages.

Everything here is plain data: importing this module reads no files, touches no device, seeds
nothing and imports neither torch nor numpy (choosing the device and seeding live in
utils/runtime.py). Defaults are the released CSTA configuration and the paper's training
protocol (see README, "Faithfulness").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_WEIGHTS_DIR = PROJECT_ROOT / "weights"
SPLITS_DIR = PROJECT_ROOT / "dataset" / "splits"

TVSUM_ANNOTATION_FILE = "ydata-anno.tsv"


@dataclass(frozen=True)
class ModelConfig:
    """Shape and regularisation of CSTA; the defaults are the released configuration."""

    feature_dim: int = 1024  # GoogLeNet pool5 features; the released weights need 1024
    attention_dropout: float = 0.6  # on both softmax maps, training only
    head_dropout: float = 0.5  # inside the regression head
    head_layernorm_eps: float = 1e-6
    positional_table_rows: int = 5000  # size of the stored sine table (checkpoint layout)


@dataclass(frozen=True)
class TrainConfig:
    """The paper's training protocol (reference section 4)."""

    epochs: int = 100
    learning_rate: float = 1e-3
    weight_decay: float = 1e-7
    seed: int = 123456
    imagenet_init: bool = True  # False only when the user asks for --random-init


class F1Reduction(enum.Enum):
    """How per-user F-scores become one number per video."""

    MAX = "max"  # SumMe: the best-matching user
    MEAN = "mean"  # TVSum: the average user


class CorrelationTarget(enum.Enum):
    """What the predicted scores are rank-correlated with (Otani et al. as CSTA applies it)."""

    MEAN_USER_SUMMARY = "mean_user_summary"  # SumMe: 0/1 summary vs the users' mean summary
    EACH_ANNOTATOR = "each_annotator"  # TVSum: step scores vs every annotator, averaged


@dataclass(frozen=True)
class DatasetSpec:
    """What differs between the benchmark datasets, decided once here instead of in every function."""

    name: str
    h5_name: str
    f1_reduction: F1Reduction
    correlation_target: CorrelationTarget
    needs_annotation_file: bool

    def h5_path(self, data_dir: Path) -> Path:
        return Path(data_dir) / self.h5_name

    def splits_path(self) -> Path:
        return SPLITS_DIR / f"{self.name}.json"


DATASETS: dict[str, DatasetSpec] = {
    "SumMe": DatasetSpec(
        name="SumMe",
        h5_name="eccv16_dataset_summe_google_pool5.h5",
        f1_reduction=F1Reduction.MAX,
        correlation_target=CorrelationTarget.MEAN_USER_SUMMARY,
        needs_annotation_file=False,
    ),
    "TVSum": DatasetSpec(
        name="TVSum",
        h5_name="eccv16_dataset_tvsum_google_pool5.h5",
        f1_reduction=F1Reduction.MEAN,
        correlation_target=CorrelationTarget.EACH_ANNOTATOR,
        needs_annotation_file=True,
    ),
}

# Frames between two feature steps in the eccv16 files (2 fps from 30 fps video).
FRAME_SAMPLE_RATE = 15
# Share of the video a summary may take (the knapsack budget).
SUMMARY_RATIO = 0.15


def dataset_specs(choice: str) -> list[DatasetSpec]:
    """The datasets named by a --dataset value ('SumMe', 'TVSum' or 'all')."""
    if choice == "all":
        return list(DATASETS.values())
    if choice not in DATASETS:
        raise ValueError(f"unknown dataset {choice!r}; choose one of {', '.join(DATASETS)} or 'all'")
    return [DATASETS[choice]]
