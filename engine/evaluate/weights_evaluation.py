"""Evaluating trained or released weights on every split that has a weights file, for every method.

Each weights file is scored by the model it was trained as: the record beside it (split<k>.json)
names the method and its options, and flags that contradict the record are refused
(models.method_choice.reconcile). Released weights have no record: the flags say what they are.
A record whose training data differs from the file evaluated is refused for a built data set
(engine.evaluate.training_data): its rebuilt folds could test on videos the model trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from dataset.benchmark import Benchmark
from dataset.errors import DataError
from dataset.splits import Split
from engine.evaluate.model_scores import Scorer, ScoringRoute, to_device
from engine.evaluate.training_data import check_trained_on
from engine.run_paths import weights_to_evaluate
from engine.weights_model import build_model, model_for_weights, selection_rule_of
from evaluation.knapsack_measures import KnapsackMeasures, mean_measures, mean_measures_over, video_knapsack_measures
from evaluation.means import MeanOver, mean_over
from evaluation.protocol import MeanMetrics, VideoMetrics, evaluate_video, mean_metrics
from models.backbone import BackboneOrigin
from models.checkpoint import load_checkpoint
from models.method_choice import ModelChoice
from models.methods import DEFAULT_METHOD, EpochRule, method_spec


@dataclass
class SplitEvaluation:
    split: int
    weights_path: Path
    metrics: MeanMetrics
    videos: list[VideoMetrics]
    backbone: str | None  # from the training record, when the weights have one
    backbone_origin: BackboneOrigin | None  # likewise
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # predicted step scores per test video
    record: dict | None = None  # the training record beside the weights (released weights have none)
    model: ModelChoice | None = None  # the method and options the weights were scored as
    selection_rule: EpochRule | None = None  # the rule that chose the epoch (from the record; None: not known)
    knapsack: list[KnapsackMeasures] = field(default_factory=list)  # SummDiff's measures per test video, as ``videos``

    @property
    def knapsack_mean(self) -> KnapsackMeasures | None:
        """The split's mean of SummDiff's knapsack measures (None where they were not computed)."""
        return mean_measures(self.knapsack) if self.knapsack else None


@dataclass
class DatasetEvaluation:
    dataset: str
    data_file: Path
    synthetic: bool
    splits: list[SplitEvaluation]
    seed: int | None = None  # the weights came from <dataset>/seed<S>/ (one of several seeds)
    stand_in_features: bool = False  # a built data set whose features came from a stand-in backbone
    mean_rule: MeanOver = MeanOver.SPLITS  # what ``mean`` averages (inference.py --mean)

    @property
    def mean(self) -> MeanMetrics:
        """The final figure: by default the mean over splits of the per-split means (the paper's); with
        MeanOver.VIDEOS the mean over every test video (score.py's)."""
        return mean_over(self.mean_rule, {split.split: split.videos for split in self.splits})

    @property
    def knapsack_mean(self) -> KnapsackMeasures | None:
        """SummDiff's knapsack measures under the same mean rule as ``mean`` (None where a split lacks them)."""
        if not all(split.knapsack for split in self.splits):
            return None
        return mean_measures_over(self.mean_rule, {split.split: split.knapsack for split in self.splits})

    @property
    def mean_wording(self) -> str:
        """Which mean ``mean`` is, for the tables and JSON, and the flag that gives the other one."""
        return self.mean_rule.describe(len(self.splits), sum(len(split.videos) for split in self.splits))

    @property
    def mean_what(self) -> str:
        """Which mean ``mean`` is, in words (a comparison row's note)."""
        return self.mean_rule.what(len(self.splits), sum(len(split.videos) for split in self.splits))

    @property
    def stand_in_backbone(self) -> bool:
        return self.stand_in_features or any(split.backbone_origin is BackboneOrigin.STAND_IN for split in self.splits)


def check_models(jobs: list[tuple[Benchmark, list[Split]]], folders: list[Path], seeds: list[int | None], flags: ModelChoice,
                 require_all: bool) -> None:
    """Reconcile the flags with every weights file's record, and check each fits its data (check_fits), before any
    evaluation starts, so that a contradiction in the last file does not come after minutes of work on the first ones."""
    for folder in folders:
        for benchmark, splits in jobs:
            for seed in seeds:
                for _, path in weights_to_evaluate(folder, benchmark.spec.name, splits, require_all, seed):
                    check_fits(benchmark, path, *model_for_weights(flags, path))


def check_fits(benchmark: Benchmark, path: Path, choice: ModelChoice, record: dict | None) -> None:
    """Refuse weights that cannot score ``benchmark``: features of another width, or (a built data set) another
    version of the file than the one they were trained on (engine.evaluate.training_data)."""
    if choice.config.feature_dim != benchmark.feature_dim:  # a data set built with another --backbone needs a model of its width
        raise DataError(f"{path} takes {choice.config.feature_dim}-d features but {benchmark.h5_path} holds "
                        f"{benchmark.feature_dim}-d ones: score it with weights trained on features of that width")
    check_trained_on(benchmark, path, record)


def evaluate_weights(
    benchmark: Benchmark,
    splits: list[Split],
    weights_dir: Path,
    device: torch.device,
    require_all: bool,
    seed: int | None = None,
    flags: ModelChoice | None = None,
    route: ScoringRoute = ScoringRoute.EXACT,
) -> DatasetEvaluation:
    """Score each split's test videos with weights/<dataset>/split<k>.pt, each as the model its record names.

    Args:
        require_all: every split in ``splits`` must have its weights file (the user named them);
            otherwise splits without one are skipped, and at least one must exist.
        seed: read weights/<dataset>/seed<S>/split<k>.pt instead (train.py --seeds with several seeds).
        flags: the model the command line asks for (default: CSTA's released configuration); a
            record beside the weights wins, and contradicting it is a ModelChoiceError.
        route: EXACT scores bit for bit as the reference implementation; FAST within 2e-5 of it
            (engine.evaluate.model_scores.ScoringRoute), in about half the time.
    """
    flags = flags or ModelChoice(DEFAULT_METHOD, method_spec(DEFAULT_METHOD).default_config())
    name = benchmark.spec.name
    present = weights_to_evaluate(weights_dir, name, splits, require_all, seed)
    chosen = [(split, path, *model_for_weights(flags, path)) for split, path in present]  # every conflict before any work
    for _, path, choice, record in chosen:
        check_fits(benchmark, path, choice, record)
    models: dict[tuple[str, object], torch.nn.Module] = {}  # one model per method and options, refilled per split
    results = []
    for split, path, choice, record in chosen:
        key = (choice.method, choice.config)
        if key not in models:
            models[key] = build_model(choice, device)
        model = models[key]
        load_checkpoint(model, path)
        model.eval()
        scorer = Scorer(model, route)
        scores = {video.record.key: scorer(video.features) for video in to_device(benchmark.subset(split.test_keys), device)}
        videos = [evaluate_video(scores[key], benchmark.videos[key], benchmark.spec) for key in split.test_keys]
        knapsack = [video_knapsack_measures(scores[key], benchmark.videos[key]) for key in split.test_keys]
        results.append(SplitEvaluation(split.number, path, mean_metrics(videos), videos, record and record.get("backbone"),
                                       BackboneOrigin.from_record(record), scores, record, choice, selection_rule_of(record),
                                       knapsack))
    if not results:
        raise DataError(f"{name}: no split to evaluate")
    return DatasetEvaluation(name, benchmark.h5_path, benchmark.synthetic, results, seed, benchmark.stand_in_features)
