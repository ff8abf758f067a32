"""What a data set declares once, so that no command compares its name: ``DataSource`` and its parts.

Standard library and config.py only: the registry (sources/__init__.py) is read while the command
line is parsed, before torch, numpy or h5py are imported. A source's reader, trainer and evaluator
live in modules it imports only when a run asks for them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import EpochRule
from engine.train.resume_policy import ResumePolicy

if TYPE_CHECKING:  # torch-free, but read only when a run is planned
    from engine.train.run_config import TrainingPlan


class SplitScheme(enum.Enum):
    """How a data set's videos are split and read, which decides the route a command takes through its run."""

    # k train/test folds held in memory; every fold trains a model whose epoch is chosen on that fold
    # (SumMe, TVSum, a built data set); the commands read them through sources/folds.py
    FOLDS = "folds"
    # one train/validation/test split streamed from feature files: the epoch is chosen on validation and
    # the test split is scored once (VideoXum); the source's own modules train and score it
    TRAIN_VAL_TEST = "train/val/test"


@dataclass(frozen=True)
class SourceFlag:
    """A command-line option only one data set takes, declared as data (cli/options.py adds it to the parsers).

    ``misuse`` is the usage error when the option comes with another --dataset; ``{dataset}`` in it
    stands for the --dataset value given.
    """

    option: str  # "--features"
    dest: str  # the Namespace attribute, "features"
    help: str
    misuse: str
    metavar: str | None = None
    value: type = str  # str, Path or int
    minimum: int | None = None  # int values: the smallest allowed
    choices: tuple[str, ...] | None = None
    default: Any = None  # filled in when the source is chosen and the option is left out


@dataclass(frozen=True)
class DataRequest:
    """Where a command's data is and which of its splits it wants (the command line, read once by the scripts)."""

    data_dir: Path
    weights_dir: Path
    split: tuple[int, ...] | None = None  # split numbers, from 1; None: every split
    splits: str = "csta"  # a named set of splits (config.SPLIT_SETS)
    splits_file: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # the values of the chosen source's own flags, by dest


@dataclass(frozen=True)
class RouteRequest:
    """What a command asks of a source with its own route (``DataSource.route``), typed: the command line
    read once by cli/route_request.route_request, so that the route never sees an argparse Namespace."""

    data: DataRequest
    device: str | None = None  # --device; None: CUDA when available, else CPU
    resume: ResumePolicy = ResumePolicy.AUTO  # --resume / --restart
    sweep: Any = None  # engine.scale.ray_sweep.SweepConfig when the runs go to Ray (--ray, --ray-address), else None
    model: Any = None  # models.method_choice.ModelChoice the flags name (inference.py)
    compare: tuple[tuple[str | None, Path], ...] = ()  # inference.py --compare: (method or None, folder)
    json: Path | None = None  # inference.py --json
    save_scores: Path | None = None  # inference.py --save-scores
    report: Path | None = None  # inference.py --report
    command_line: tuple[str, ...] = ()  # the command's arguments, for the outputs' provenance
    dataset: str | None = None  # --dataset: which source a route shared by several (sources/replay/) serves
    draws: tuple[Any, ...] = ()  # inference.py --sample-seeds: the ModelChoice of each sampling seed (a sampled method)

    def option(self, dest: str) -> Any:
        """One of the source's own flags (SourceFlag.dest), as given or as its default."""
        return self.data.options[dest]


@dataclass(frozen=True)
class DataSource:
    """One data set as the commands see it: how it is read, split, chosen on, scored and reported.

    Subclasses fill the fields and override the hooks whose default does not fit.
    """

    name: str  # the --dataset value and the weights folder's name
    scheme: SplitScheme
    protocol: str  # the evaluation protocol, in words (F1 rule, what tau and rho are computed against)
    report_rows: tuple[str, ...]  # the rows a report or comparison table shows beside the method's
    synthetic: str | None  # "module:function" that writes a SYNTHETIC stand-in of the data set (tests, demo), if one exists
    choice_help: str | None = None  # what --dataset NAME means, for --help (None: said by the group it is in)
    in_all: bool = False  # part of --dataset all
    opt_in: bool = False  # offered only by the commands that ask for it (train.py and inference.py)
    flags: tuple[SourceFlag, ...] = ()  # options only this source takes
    flag_group: str | None = None  # the --help section of ``flags`` (None: beside --data-dir)
    complexity: bool = True  # inference.py --complexity can measure MACs over its videos
    ablation_on_ray: bool = True  # ablate.py --ray can train its missing runs as Ray tasks
    takes_sample_seeds: bool = True  # inference.py --sample-seeds can score its weights once per sampling seed
    # the module that takes the commands through this source's own route (train, evaluation, ablation);
    # None: the k-fold route every FOLDS source shares (sources/folds.py and ``open_folds``)
    route: str | None = None

    @property
    def has_validation(self) -> bool:
        """Whether an epoch rule can look at a validation split (--select validation)."""
        return self.scheme is SplitScheme.TRAIN_VAL_TEST

    def refusal(self, given: Mapping[str, Any]) -> str | None:
        """A usage error for common options this source cannot take (by dest: split, splits, splits_file), or None."""
        return None

    def rule_problem(self, rule: EpochRule) -> str | None:
        """Why ``rule`` (--select) cannot choose the epoch on this source, beyond a missing validation split, or None."""
        return None

    def worker_file(self, request: DataRequest) -> Path | None:
        """The file a Ray worker reads this source's data from when it is not found under --data-dir (None: it is)."""
        return None

    def folds_beside_weights(self, request: DataRequest) -> bool:
        """Whether ``open_folds`` reads its folds from the weights folder (``request.weights_dir``), so that each folder of
        inference.py --compare must be opened with its own folds rather than --weights-dir's."""
        return False

    def plan_for(self, plan: TrainingPlan, videos_per_step: int | None) -> TrainingPlan:
        """The method's plan as it runs on this source (the defaults fit the benchmarks the methods' authors used)."""
        return plan

    def route_module(self) -> Any:
        """The module of this source's own route (``route``), imported now (it loads torch); None: the k-fold route."""
        import importlib

        return None if self.route is None else importlib.import_module(self.route)

    def owns_labels(self, path: Path) -> bool:
        """Whether ``path`` (score.py --h5) is one of this data set's own label files rather than one build_dataset.py
        wrote, so that score.py scores it with ``score_labels``. Decided by the file's name and folder (nothing is opened)."""
        return False

    def score_labels(self, labels: Path, predictions: Path, options: Mapping[str, Any]) -> Any:
        """score.py on a file this source ``owns_labels``: a report with ``table()`` and ``as_dict()``. ``options``: score.py's
        flags by dest (None where left out). Asked only of the source that owns the file."""
        raise NotImplementedError(f"score.py cannot score {self.name}'s own files")

    def synthetic_writer(self) -> Any:
        """The function that writes this source's SYNTHETIC stand-in (imported now: it needs numpy)."""
        import importlib

        if self.synthetic is None:
            raise ValueError(f"{self.name} declares no generator of SYNTHETIC data")

        module, _, function = self.synthetic.partition(":")
        return getattr(importlib.import_module(module), function)
