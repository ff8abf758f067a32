"""One training run's whole configuration (the method, its model options, its protocol, the epoch rule),
resolved from a typed TrainingRequest (train.py's flags: cli/training_request.py) and checked before any data is read.

No torch here (models/methods.py loads it only to build a model), so that a bad combination of
flags is refused at once, before the data files are opened and before torch is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import DATASETS, CASumConfig, EpochRule, ModelConfig, PGLSumConfig, TrainConfig
from models.method_choice import ModelChoice
from models.methods import MethodSpec, TrainingProtocol, method_spec
from models.summdiff_config import SummDiffConfig
from utils.errors import ProjectError

if TYPE_CHECKING:
    from sources import DataSource

INIT_SPLIT_FIELD = "{split}"  # in --init PATH: the number of the split being trained


class TrainingPlanError(ProjectError, ValueError):
    """Training flags that do not fit together (the message names the flags and why)."""


@dataclass(frozen=True)
class ProtocolOverrides:
    """The protocol fields a user set on the command line; None keeps the method's authors' value."""

    epochs: int | None = None
    learning_rate: float | None = None
    weight_decay: float | None = None
    grad_clip_norm: float | None = None  # 0: no clipping
    videos_per_step: int | None = None  # for every dataset
    seed: int | None = None
    length_factor: float | None = None  # one CA-SUM run with this sigma instead of its authors' sweep
    lr_decay: float | None = None  # 1: a constant learning rate

    def apply(self, protocol: TrainingProtocol) -> TrainingProtocol:
        changes: dict[str, Any] = {
            name: getattr(self, name) for name in ("epochs", "learning_rate", "weight_decay", "seed") if getattr(self, name) is not None
        }
        if self.grad_clip_norm is not None:
            changes["grad_clip_norm"] = self.grad_clip_norm or None
        if self.videos_per_step is not None:
            changes["videos_per_step"] = {name: self.videos_per_step for name in DATASETS}
        if self.length_factor is not None:
            changes["length_factor"], changes["length_factor_sweep"] = self.length_factor, ()
        if self.lr_decay is not None:
            changes["lr_decay"] = None if self.lr_decay == 1 else self.lr_decay
        # a value the user set holds on every data set, over the authors' per-data-set ones
        return replace(protocol.without(list(changes)), **changes)


@dataclass(frozen=True)
class TrainingPlan:
    """What one training run does; every method goes through the same loop with its plan."""

    method: str
    model_config: Any  # the method's options (METHODS[method].config_type)
    protocol: TrainingProtocol  # the authors' protocol with the user's overrides
    rule: EpochRule  # which epoch's weights are kept
    imagenet_init: bool = True  # CSTA's trunk from ImageNet (False: --random-init)
    tensorboard_dir: Path | None = None  # per-epoch scalars go under here when given
    init_weights: str | None = None  # --init: fine-tune from these weights ("{split}" stands for the split's number)

    @classmethod
    def from_train_config(cls, train_cfg: TrainConfig, model_cfg: ModelConfig | None = None) -> TrainingPlan:
        """CSTA with the paper's protocol as TrainConfig holds it (what ablate.py and older callers pass)."""
        spec = method_spec("CSTA")
        protocol = replace(spec.protocol, epochs=train_cfg.epochs, learning_rate=train_cfg.learning_rate,
                           weight_decay=train_cfg.weight_decay, seed=train_cfg.seed)
        return cls(spec.name, model_cfg or ModelConfig(), protocol, spec.selection, train_cfg.imagenet_init).check()

    @property
    def spec(self) -> MethodSpec:
        return method_spec(self.method)

    @property
    def seed(self) -> int:
        return self.protocol.seed

    def with_seed(self, seed: int) -> TrainingPlan:
        return replace(self, protocol=replace(self.protocol, seed=seed))

    def with_videos_per_step(self, datasets: list[str], videos_per_step: int | None) -> TrainingPlan:
        """--videos-per-step for datasets beyond SumMe and TVSum (a built one), which the method's table does not name
        and which otherwise take 1; the plan itself when no value was given."""
        if videos_per_step is None:
            return self
        steps = {**self.protocol.videos_per_step, **dict.fromkeys(datasets, videos_per_step)}
        return replace(self, protocol=replace(self.protocol, videos_per_step=steps))

    def for_dataset(self, dataset: str) -> TrainingPlan:
        """The plan as it runs on ``dataset``: the method's authors' per-data-set protocol values and options
        (SummDiff's scripts differ per data set) filled in where the user set none."""
        return replace(self, protocol=self.protocol.for_dataset(dataset), model_config=self.spec.options_for(self.model_config, dataset))

    def sized_for(self, feature_dim: int) -> TrainingPlan:
        """The plan with the method's model sized for ``feature_dim``-dimensional features (sized_for_features)."""
        return replace(self, model_config=sized_for_features(self.model_config, feature_dim))

    def init_path(self, split: int) -> Path | None:
        """The weights split ``split`` starts from (--init), or None: a freshly initialised model."""
        return None if self.init_weights is None else Path(self.init_weights.replace(INIT_SPLIT_FIELD, str(split)))

    def length_factors(self) -> tuple[float | None, ...]:
        """One run per value: the authors' sigma sweep, the one sigma asked for, or (None,) for a loss without one."""
        if not self.spec.loss.takes_length_factor:
            return (None,)
        return self.protocol.length_factor_sweep or (self.protocol.length_factor,)

    def check(self) -> TrainingPlan:
        """Refuse a plan whose parts do not fit; returns the plan itself."""
        problems = []
        if self.protocol.epochs < self.rule.min_epochs:
            problems.append(
                f"--select {self.rule.value} ({self.rule.label}) needs at least {self.rule.min_epochs} epochs, and the run has "
                f"{self.protocol.epochs}: train longer, or choose --select last or test"
            )
        if not self.imagenet_init and not self.spec.uses_backbone:
            problems.append(f"--random-init starts CSTA's CNN trunk from random weights, and {self.method} has no trunk")
        if self.init_weights is not None and not self.imagenet_init:
            problems.append("--init starts every weight from a file, so --random-init has nothing to do: give one or the other")
        if problems:
            raise TrainingPlanError("\n".join(problems))
        return self

    def check_training_set(self, dataset: str, split: int, n_videos: int) -> None:
        """Refuse, before any training, a split with fewer training videos than one optimiser step takes
        (the authors' loop would never update the model)."""
        per_step = self.protocol.videos_per_step_for(dataset)
        if n_videos < per_step and not self.protocol.partial_step:  # a protocol with partial steps takes a smaller one
            raise TrainingPlanError(
                f"{dataset} split {split} has {n_videos} training videos and {self.method} sums the gradients of {per_step} "
                f"videos per optimiser step, so it would never step: ask for at most {n_videos} with --videos-per-step"
            )

    def describe(self, datasets: Sequence[str] | None = None) -> str:
        """One line for the log; ``datasets``: the data sets this run trains on (default: those the protocol names),
        so that a run on a built data set does not read as SumMe's and TVSum's."""
        p = self.protocol
        sigmas = ", ".join(str(s) for s in self.length_factors() if s is not None)
        named = list(p.videos_per_step) if datasets is None else list(dict.fromkeys(datasets))
        return (f"{self.method} | epochs {p.epochs} | lr {p.learning_rate:g} | weight decay {p.weight_decay:g} | clip "
                f"{p.grad_clip_norm if p.grad_clip_norm is not None else 'none'} | videos per step "
                f"{', '.join(f'{k} {p.videos_per_step_for(k)}' for k in named)} | seed {p.seed} | selection: {self.rule.label}"
                + (f" | length factor(s) {sigmas}" if sigmas else "")
                + "".join(f" | on {k}: " + ", ".join(f"{name} {value:g}" for name, value in p.by_dataset[k].items())
                          for k in named if p.by_dataset.get(k)))

    def as_record(self) -> dict:
        """The record fields that say how the weights were trained and chosen (choice_from_record reads the first two)."""
        return {
            "method": self.method,
            "model_options": self.model_config.to_options(),
            "protocol": self.protocol.as_dict(),
            "selection_rule": self.rule.value,
            "selection": self.rule.label,
            "selection_looks_at_test_labels": self.rule.looks_at_test_labels,
        }


def plan_for(choice: ModelChoice, overrides: ProtocolOverrides = ProtocolOverrides(), rule: EpochRule | None = None,
             imagenet_init: bool = True, tensorboard_dir: Path | None = None, init_weights: str | None = None) -> TrainingPlan:
    """The plan for a model choice: the method's authors' protocol and rule unless overridden; checked."""
    spec = method_spec(choice.method)
    if overrides.length_factor is not None and not spec.loss.takes_length_factor:
        raise TrainingPlanError(f"--length-factor is sigma of CA-SUM's length-regularisation loss; {spec.name}'s loss "
                                f"({spec.loss.value}) takes none: choose --method CA-SUM or leave it out")
    return TrainingPlan(spec.name, choice.config, overrides.apply(spec.protocol), rule or spec.selection, imagenet_init,
                        tensorboard_dir, init_weights).check()


@dataclass(frozen=True)
class TrainingRequest:
    """What a training command asks for, typed (cli/training_request.py reads it from train.py's flags)."""

    choice: ModelChoice  # the method and its model options
    overrides: ProtocolOverrides  # the protocol fields the user set
    rule: EpochRule | None = None  # --select; None: the method's authors' rule
    imagenet_init: bool = True  # False: --random-init
    tensorboard_dir: Path | None = None
    init_weights: str | None = None  # --init PATH ({split} stands for the split's number)


def plan_for_request(request: TrainingRequest, sources: list[DataSource]) -> TrainingPlan:
    """The request as a checked plan (its seed is --seed's, or the method's; --seeds are applied per run),
    as it runs on the chosen data sources (sources/)."""
    from sources import SOURCES

    rule = request.rule
    if rule is EpochRule.BEST_ON_VALIDATION and not all(source.has_validation for source in sources):
        with_one = " or ".join(f"--dataset {source.name}" for source in SOURCES.values() if source.has_validation)
        raise TrainingPlanError(f"--select {rule.value} needs a validation split, and only {with_one} has one")
    for problem in (source.rule_problem(rule) for source in sources if rule is not None):
        if problem:
            raise TrainingPlanError(problem)
    board = request.tensorboard_dir
    if board is not None and board.exists() and not board.is_dir():
        raise TrainingPlanError(f"--tensorboard {board} is a file; TensorBoard writes a folder of event files there")
    plan = plan_for(request.choice, request.overrides, rule, request.imagenet_init, board, request.init_weights)
    for source in sources:
        plan = source.plan_for(plan, request.overrides.videos_per_step)
    return plan


def sized_for_features(config: Any, feature_dim: int) -> Any:
    """The method's options with its input width set to the data's feature dimension d (VideoXum's features,
    or a data set build_dataset.py made with another --backbone).

    CSTA (ModelConfig): only ``feature_dim`` changes; the CNN trunk keeps its own width (1024 for
    GoogLeNet), so the layers that read the features take d columns: the learnt CLS row (1 x d per
    channel) and the key and value embeddings (d -> 1024). With d != 1024 those layers cannot come
    from released weights, so the model trains from scratch (the trunk from ImageNet, as always).
    A variant whose widths cannot differ (e.g. the Transformer way of adding the positional
    encoding, which projects the features with a 1024 x 1024 layer) is refused by
    ModelConfig.validate with a message that says why.
    PGL-SUM and CA-SUM: ``feature_dim`` = d, and ``hidden_dim`` = d where it was the authors' default
    (their solvers set the attention width to the input width); a hidden width set otherwise is kept.
    """
    if isinstance(config, ModelConfig):
        return replace(config, feature_dim=feature_dim).validate()
    if isinstance(config, PGLSumConfig | CASumConfig):
        hidden = feature_dim if config.hidden_dim == config.feature_dim else config.hidden_dim
        return replace(config, feature_dim=feature_dim, hidden_dim=hidden)
    if isinstance(config, SummDiffConfig):  # the input projection takes d columns; the model's width stays 256
        return replace(config, feature_dim=feature_dim)
    raise TypeError(f"no rule to size {type(config).__name__} for {feature_dim}-dimensional features")
