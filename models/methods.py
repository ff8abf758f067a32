"""What differs between the summarisation methods, decided once here, as config.DatasetSpec does for datasets.

A method is its model builder, its options (the config class and the command-line options declared
as data, which cli/method_options.py turns into flags), its authors' training protocol (optimiser,
learning rate, weight decay, gradient clipping, epochs, videos per optimiser step, seed), its loss
and its authors' rule for choosing the epoch whose weights are kept. A new method is one model
module plus one entry in METHODS: nothing else names the methods.

Neither torch nor numpy is imported here at load time (each function that needs one imports it), so
that the command line reads every method's flags and refuses bad options before loading them.

Sources: CSTA, the released configuration and the paper (config.TrainConfig); PGL-SUM,
github.com/e-apostolidis/PGL-SUM model/configs.py, model/solver.py, model/run_*_splits.sh and
evaluation/choose_best_epoch.py; CA-SUM, github.com/e-apostolidis/CA-SUM, the same files and
evaluation/choose_best_model.py.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from config import (
    LOSS_CURVE_START,
    LOSS_CURVE_TOLERANCE,
    MAX_LENGTH_IMPROVEMENT,
    MIN_LOSS_HORIZON,
    MIN_LOSS_START,
    CASumConfig,
    EpochRule,
    Fusion,
    MethodConfigError,
    ModelConfig,
    PGLPositionalEncoding,
    PGLSumConfig,
    TrainConfig,
    option_values,
    parse_option,
)
from models.summdiff_config import Denoiser, ScoreEmbedding, SummDiffConfig
from utils.errors import ProjectError
from utils.whole_numbers import whole_number

if TYPE_CHECKING:  # torch is imported when a model is built or a loss computed, so that scripts can
    # resolve a method's defaults and refuse bad options before loading torch (numpy likewise)
    import numpy as np
    import torch
    from torch import nn

    from models.backbone import BackboneInit, BackboneSpec

__all__ = [
    "DEFAULT_METHOD", "METHODS", "METHOD_NAMES", "NOT_RECORDED", "EpochRule", "PublishedFigures", "Loss", "LossAverage", "MethodConfigError", "MethodOption", "MethodSpec",
    "SelectionUndefined", "Shuffle", "StepLoss", "TrainingProtocol", "UnknownMethod", "choose_length_factor", "guess_methods", "length_improvement",
    "method_spec", "retained_epochs", "select_epoch",
]  # fmt: skip

# The method of a command line that names none, and of a record written before there were methods.
DEFAULT_METHOD = "CSTA"


class UnknownMethod(ProjectError, ValueError):
    """A method name that is not in METHODS; the message lists the valid ones."""


class SelectionUndefined(ProjectError, ValueError):
    """An epoch-selection rule asked of a training history it cannot judge (too short, not finite)."""


class Loss(enum.Enum):
    """What a method minimises on one video."""

    GTSCORE_MSE = "gtscore-mse"  # mean squared error to the step-level ground truth (CSTA, PGL-SUM)
    LENGTH_REGULARISATION = "length-regularisation"  # |mean score - sigma| (CA-SUM; no labels)
    # SummDiff: the model noises its own targets and returns its loss, model(features, gtscore) in training mode
    DENOISING = "denoising"

    @property
    def needs_labels(self) -> bool:
        return self is not Loss.LENGTH_REGULARISATION

    @property
    def model_takes_targets(self) -> bool:
        """True when the model computes the loss itself from the targets (a generative model noising them)."""
        return self is Loss.DENOISING

    @property
    def takes_length_factor(self) -> bool:
        """True when the loss needs sigma (CA-SUM's --length-factor)."""
        return self is Loss.LENGTH_REGULARISATION

    def __call__(self, scores: torch.Tensor, gtscore: torch.Tensor | None, length_factor: float | None = None) -> torch.Tensor:
        """scores, gtscore: Sized [T]. Returns the scalar loss of one video."""
        import torch  # noqa: PLC0415 - see the TYPE_CHECKING note above

        if self is Loss.GTSCORE_MSE:
            return torch.nn.functional.mse_loss(scores, gtscore)
        if self is Loss.DENOISING:
            raise MethodConfigError("the denoising loss is the model's own: call model(features, gtscore) in training mode")
        if length_factor is None:
            raise MethodConfigError("the length-regularisation loss needs its factor sigma (length_factor)")
        return torch.abs(torch.mean(scores) - length_factor)


class LossAverage(enum.Enum):
    """How an epoch's per-video losses become the epoch's loss (the figure loss-based epoch rules read)."""

    FLOAT32 = "float32"  # torch.stack(losses).mean(), as the PGL-SUM and CA-SUM solvers log it
    PYTHON_FLOAT = "python-float"  # the sum of each loss.item() as Python floats, over the count: this project's CSTA loop


class StepLoss(enum.Enum):
    """How the losses of one optimiser step's videos become the gradient of that step."""

    SUM = "sum"  # each video's loss backpropagated as it is (CSTA, PGL-SUM, CA-SUM)
    # each video's loss times its share of the step's time steps: the masked mean of a padded batch (SummDiff's criterion)
    LENGTH_WEIGHTED_MEAN = "length-weighted-mean"


class Shuffle(enum.Enum):
    """How the training videos are ordered each epoch (both draw from torch's global generator)."""

    RANDPERM = "randperm"  # torch.randperm(n), this project's CSTA loop
    DATALOADER = "dataloader"  # the draws of a shuffled torch DataLoader, as the PGL-SUM and CA-SUM solvers iterate


@dataclass(frozen=True)
class TrainingProtocol:
    """A method's authors' training protocol; train.py flags override single fields."""

    learning_rate: float
    weight_decay: float  # Adam's L2 term (every method here uses Adam)
    epochs: int
    seed: int
    videos_per_step: Mapping[str, int]  # per dataset: gradients of this many videos summed before one optimiser step
    grad_clip_norm: float | None = None  # max total gradient norm before each step; None: no clipping
    shuffle: Shuffle = Shuffle.RANDPERM
    optimizer: str = "adam"
    length_factor: float | None = None  # CA-SUM's sigma for one run
    length_factor_sweep: tuple[float, ...] = ()  # the sigmas its authors train, one run each, before choosing
    loss_average: LossAverage = LossAverage.FLOAT32
    step_loss: StepLoss = StepLoss.SUM
    partial_step: bool = False  # True: the videos left over after the last full step make one more, smaller step
    lr_decay: float | None = None  # the learning rate is multiplied by this after every epoch (ExponentialLR); None: constant
    # the authors' values that differ per data set (field name -> value), over the ones above; see for_dataset
    by_dataset: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def for_dataset(self, dataset: str) -> TrainingProtocol:
        """The protocol on ``dataset``: the fields its authors set for that data set replace the general ones."""
        return replace(self, by_dataset={}, **self.by_dataset.get(dataset, {}))

    def without(self, names: Sequence[str]) -> TrainingProtocol:
        """The protocol with the per-data-set values of ``names`` dropped (a field the user set holds everywhere)."""
        kept = {dataset: {k: v for k, v in values.items() if k not in names} for dataset, values in self.by_dataset.items()}
        return replace(self, by_dataset=kept)

    def videos_per_step_for(self, dataset: str) -> int:
        """Videos per optimiser step on ``dataset`` (1 for a dataset the authors did not name)."""
        return self.videos_per_step.get(dataset, 1)

    def as_dict(self) -> dict:
        values = asdict(self)
        values["shuffle"] = self.shuffle.value
        values["loss_average"] = self.loss_average.value
        values["videos_per_step"] = dict(self.videos_per_step)
        values["length_factor_sweep"] = list(self.length_factor_sweep)
        # the fields SummDiff brought, only where set: other methods' records and run fingerprints stay as they were
        for name in ("step_loss", "partial_step", "by_dataset", "lr_decay"):
            values.pop(name)
        if self.step_loss is not StepLoss.SUM:
            values["step_loss"] = self.step_loss.value
        if self.partial_step:
            values["partial_step"] = True
        if self.lr_decay is not None:
            values["lr_decay"] = self.lr_decay
        if self.by_dataset:
            values["by_dataset"] = {dataset: dict(changes) for dataset, changes in self.by_dataset.items()}
        return values


@dataclass(frozen=True)
class MethodOption:
    """One model option as a command line offers it, declared as data: cli/method_options.py makes it a flag.

    No default is declared: every flag defaults to "not given", so that a run knows which options its
    user named (those are checked against the record beside the weights); an option not given takes
    the record's value or the default of the method's config class, which the help text states.
    """

    name: str  # its key in the method's options (config_type.to_options / from_options)
    spellings: tuple[str, ...]  # the documented kebab-case flag first, then the reference's or authors' one
    parse: Callable[[str], object]  # text -> the value from_options takes; raises ValueError or ProjectError naming the valid values
    help: str
    choices: tuple[str, ...] = ()  # the spellings the value takes, any case (help shows {a,b}); () for a free value
    placeholder: str = ""  # how help shows a free value: N, NUMBER, {N,None}

    @property
    def flag(self) -> str:
        return self.spellings[0]

    @property
    def metavar(self) -> str:
        return "{" + ",".join(self.choices) + "}" if self.choices else self.placeholder


@dataclass(frozen=True)
class PublishedFigures:
    """A method's figures on one dataset as its authors state them (None: not stated there), with where."""

    f1: float | None
    kendall: float | None
    spearman: float | None
    source: str


NOT_RECORDED = PublishedFigures(None, None, None, "no source recorded")


@dataclass(frozen=True)
class MethodSpec:
    """Everything that differs between methods; the training loop and the scripts ask it, never the name."""

    name: str
    source: str  # paper and official code, for records and tables
    config_type: type  # the dataclass of the model's options; its defaults are the authors'
    builder: Callable[[Any, BackboneInit | None, torch.device | str | None], nn.Module]
    protocol: TrainingProtocol
    loss: Loss
    selection: EpochRule  # the authors' rule, the default of --select
    key_marker: str  # a state_dict key only this method's weights have (to name the method of a weights file)
    uses_backbone: bool = False  # True: a GoogLeNet trunk whose initialisation (ImageNet or random) is chosen
    paper_options: Mapping[str, Any] = field(default_factory=dict)  # documentation: option names in the authors' code
    options: tuple[MethodOption, ...] = ()  # the model options a command line sets (config_type's other fields: records only)
    options_title: str = ""  # the heading of those options in --help
    # its authors' figures by dataset name (inference.py --compare, the reports' paper row); stated only where cited
    published: Mapping[str, PublishedFigures] = field(default_factory=dict)
    # the options as its authors set them for one data set (their per-data-set scripts); None: the same everywhere
    dataset_options: Callable[[Any, str], Any] | None = None
    # True for options that train on each annotator's scores, one target per annotator, instead of their mean
    annotator_targets: Callable[[Any], bool] | None = None
    # options that say how scores are drawn from the weights, not what the weights are: a flag may set them over a record
    sampling_options: frozenset[str] = frozenset()
    # the decay of the moving average of the weights that is evaluated and kept (SummDiff's --ema); None: the weights as trained
    weight_average: Callable[[Any], float | None] | None = None

    def average_decay(self, config: Any) -> float | None:
        """The decay of the weight average that options ``config`` evaluate and keep, or None (the trained weights)."""
        return None if self.weight_average is None else self.weight_average(config)

    def options_for(self, config: Any, dataset: str) -> Any:
        """``config`` as the method's authors set it for ``dataset`` (values the user set are kept)."""
        return config if self.dataset_options is None else self.dataset_options(config, dataset)

    def trains_per_annotator(self, config: Any) -> bool:
        return self.annotator_targets is not None and self.annotator_targets(config)

    def published_on(self, dataset: str) -> PublishedFigures:
        """The authors' figures on ``dataset``, or NOT_RECORDED."""
        return self.published.get(dataset, NOT_RECORDED)

    def default_config(self) -> Any:
        return self.config_type()

    def build(self, config: Any = None, backbone_init: BackboneInit | None = None,
              device: torch.device | str | None = None) -> nn.Module:
        """A fresh model on ``device``, initialised as the method's authors do; seed first for their exact weights.

        Args:
            config: the method's options (its config_type); None for the authors' defaults.
            backbone_init: CSTA's trunk initialisation (None: random, fine before loading weights);
                refused for methods without a trunk.
        """
        config = self.default_config() if config is None else config
        if not isinstance(config, self.config_type):
            raise MethodConfigError(f"{self.name} takes {self.config_type.__name__} options, not {type(config).__name__}")
        if backbone_init is not None and not self.uses_backbone:
            raise MethodConfigError(f"{self.name} has no GoogLeNet trunk; backbone initialisation (--random-init) belongs to CSTA")
        return self.builder(config, backbone_init, device)

    def trunk_spec(self, config: Any) -> BackboneSpec | None:
        """The CNN trunk the model of ``config`` initialises from ImageNet (CSTA's backbone), or None."""
        if not self.uses_backbone:
            return None
        from models.backbone import backbone_spec  # noqa: PLC0415

        return backbone_spec(config.backbone)

    def config_to_dict(self, config: Any) -> dict:
        """The options as plain JSON values, for the record beside a weights file (CSTA: the reference's names)."""
        return config.to_options()

    def config_from_dict(self, values: Mapping[str, Any]) -> Any:
        """The options a record holds; an option of another method is a MethodConfigError naming this method's."""
        known = set(self.default_config().to_options())
        unknown = sorted(set(values) - known)
        if unknown:
            raise MethodConfigError(f"{self.name} has no option {', '.join(unknown)}; its options are {', '.join(sorted(known))}")
        return self.config_type.from_options(dict(values))


def _build_csta(config: ModelConfig, backbone_init: BackboneInit | None, device: torch.device | str | None) -> nn.Module:
    from models.backbone import BackboneInit  # noqa: PLC0415 - torch only when a model is built
    from models.csta import build_csta  # noqa: PLC0415

    return build_csta(backbone_init or BackboneInit.RANDOM, config).to(device)


def _build_pgl_sum(config: PGLSumConfig, _: BackboneInit | None, device: torch.device | str | None) -> nn.Module:
    from models.pgl_sum import build_pgl_sum  # noqa: PLC0415

    return build_pgl_sum(config, device)


def _build_ca_sum(config: CASumConfig, _: BackboneInit | None, device: torch.device | str | None) -> nn.Module:
    from models.ca_sum import build_ca_sum  # noqa: PLC0415

    return build_ca_sum(config, device)


def _build_summdiff(config: SummDiffConfig, _: BackboneInit | None, device: torch.device | str | None) -> nn.Module:
    from models.summdiff import build_summdiff  # noqa: PLC0415

    return build_summdiff(config, device)


# ---- the command-line options: parsers of one value, then each method's declarations ----


def _none_or(parse: Callable[[str], object]) -> Callable[[str], object]:
    def parse_optional(text: str) -> object:
        return None if text.strip().lower() == "none" else parse(text)

    return parse_optional


def _member_of(kind: type[enum.Enum]) -> Callable[[str], object]:
    def parse(text: str) -> object:
        for member in kind:
            if member.value == text.strip().lower():
                return member
        raise ValueError(f"unknown value {text!r}; choose one of {', '.join(m.value for m in kind)}, None")

    return parse


def _optional_choices(kind: type[enum.Enum]) -> tuple[str, ...]:
    return (*(member.value for member in kind), "None")


def _csta_value(option: str) -> Callable[[str], object]:
    """CSTA's parser of one option in the reference's spelling; model_name stays text (from_options splits it)."""

    def parse(text: str) -> object:
        if option == "model_name":
            ModelConfig.split_model_name(text)  # refuses an unknown name, listing the known ones
            return text
        return parse_option(option, text)

    return parse


_CSTA_HELP = {
    "model_name": "backbone and value source (the released model: GoogleNet_Attention)",
    "Scale": "divide the attention map by sqrt of D, T or both before the softmax (released: None)",
    "Softmax_axis": "softmax over time, features or both (released: TD)",
    "Balance": "rebalance the two softmax maps for T != D; needs Softmax_axis TD (released: None)",
    "Positional_encoding": "fixed, relative, learnt or conditional positions (released: FPE)",
    "Positional_encoding_shape": "positions per step and feature (TD) or per step (T) (released: TD)",
    "Positional_encoding_way": "where positions and dropout go (released: PGL_SUM)",
    "Dropout_on": "dropout on the softmax maps or the input (released: true)",
    "Dropout_ratio": "that dropout's ratio, 0 to 1 (released: 0.6)",
    "Classifier_on": "a regression head (false: mean over features) (released: true)",
    "CLS_on": "a learnt CLS row on top of the steps (released: true)",
    "CLS_mix": "where the CLS row is averaged into the steps; needs CLS_on (released: Final)",
    "key_value_emb": "linear embeddings of the key and/or the values (released: kv)",
    "Skip_connection": "key to CNN output, CNN output or input to the weighted features (released: KC)",
    "Layernorm": "a normalisation after the skip connection (released: true)",
}
_CSTA_FREE_VALUES = {"model_name": "NAME", "Dropout_ratio": "NUMBER"}  # shown by a placeholder, not by choices


def _csta_options() -> tuple[MethodOption, ...]:
    """Each option under the reference's name, with the documented kebab-case spelling first."""
    options = []
    for name, text in _CSTA_HELP.items():
        if name == "model_name":
            text += ": " + ", ".join(option_values(name))
        placeholder = _CSTA_FREE_VALUES.get(name, "")
        choices = () if placeholder else tuple(option_values(name))
        spellings = ("--" + name.lower().replace("_", "-"), f"--{name}")
        options.append(MethodOption(name, spellings, _csta_value(name), text, choices, placeholder))
    return tuple(options)


_PGL, _CA = PGLSumConfig(), CASumConfig()
_PGL_OPTIONS = (
    MethodOption("heads", ("--heads",), whole_number(1), f"PGL-SUM: global attention heads (authors': {_PGL.heads})",
                 placeholder="N"),
    MethodOption("num_segments", ("--segments", "--n_segments"), _none_or(whole_number(2)),
                 f"PGL-SUM: local attentions, one per segment; None: global attention only (authors': {_PGL.num_segments})",
                 placeholder="{N,None}"),
    MethodOption("fusion", ("--fusion",), _none_or(_member_of(Fusion)),
                 f"PGL-SUM: how local and global attention join (authors': {_PGL.fusion.value})", _optional_choices(Fusion)),
    MethodOption("positional_encoding", ("--pos-enc", "--pos_enc"), _none_or(_member_of(PGLPositionalEncoding)),
                 f"PGL-SUM: positions added to the attention energies (authors': {_PGL.positional_encoding.value})",
                 _optional_choices(PGLPositionalEncoding)),
)
# CA-SUM's length factor sigma is a training option (train.py --length-factor), not a model option.
_CA_OPTIONS = (
    MethodOption("block_size", ("--block-size", "--block_size"), whole_number(1),
                 f"CA-SUM: steps per diagonal block of the attention matrix (authors': {_CA.block_size})", placeholder="STEPS"),
)


_SD = SummDiffConfig()


def _number_in(low: float, high: float, high_open: bool = False) -> Callable[[str], object]:
    def parse(text: str) -> object:
        try:
            value = float(text)
        except ValueError as error:
            raise ValueError(f"{text!r} is not a number") from error
        if not (low <= value < high if high_open else low <= value <= high):
            raise ValueError(f"{text} is outside [{low:g}, {high:g}{')' if high_open else ']'}")
        return value

    return parse


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    raise ValueError(f"{text!r} is not a boolean; use true/false/yes/no/1/0")


def _path(text: str) -> str:
    return text


_PER_DATASET = "(authors': per data set, SumMe {SumMe}, TVSum {TVSum})"


def _per_dataset(name: str) -> str:
    from models.summdiff_config import AUTHORS_BY_DATASET  # noqa: PLC0415 - torch-free

    return _PER_DATASET.format(**{dataset: str(values[name]).lower() for dataset, values in AUTHORS_BY_DATASET.items()})


_SD_OPTIONS = (
    MethodOption("denoiser", ("--denoiser",), _member_of(Denoiser),
                 "SummDiff: the denoiser (authors': latentmlp on SumMe and TVSum, dit on Mr.HiSum; latentmlp on other data sets)",
                 tuple(d.value for d in Denoiser)),
    MethodOption("decoder_layers", ("--decoder-layers", "--dec_layers"), whole_number(1),
                 f"SummDiff: the denoiser's blocks {_per_dataset('decoder_layers')[:-1]}, Mr.HiSum 2: their dit always has 2)",
                 placeholder="N"),
    MethodOption("input_projections", ("--input-projections", "--n_input_proj"), whole_number(1),
                 f"SummDiff: layers projecting the features before the encoder, 1 to 3 (authors': {_SD.input_projections})",
                 placeholder="N"),
    MethodOption("score_levels", ("--score-levels", "--K"), whole_number(1),
                 "SummDiff: K, the levels a score is embedded as (authors': 200; 100 on Mr.HiSum)", placeholder="K"),
    MethodOption("score_embedding", ("--score-embedding", "--scores_embed"), _member_of(ScoreEmbedding),
                 f"SummDiff: how a noisy score is embedded (authors': {_SD.score_embedding.value})",
                 tuple(e.value for e in ScoreEmbedding)),
    MethodOption("sigmoid_temp", ("--sigmoid-temp", "--sigmoid_temp"), _number_in(1e-6, 1e6),
                 f"SummDiff: score = sigmoid(temp * x) (authors': {_SD.sigmoid_temp:g})", placeholder="TEMP"),
    MethodOption("eps", ("--eps",), _number_in(1e-12, 0.5, high_open=True),
                 f"SummDiff: scores clamped to [eps, 1 - eps] before the logit (authors': {_SD.eps:g})", placeholder="EPS"),
    MethodOption("p_uncond", ("--p-uncond", "--p_uncond"), _number_in(0.0, 1.0, high_open=True),
                 f"SummDiff: chance a training video's features are replaced by the null video (authors': {_SD.p_uncond:g})",
                 placeholder="P"),
    MethodOption("guidance", ("--guidance", "--w"), _number_in(0.0, 1e6),
                 f"SummDiff: classifier-free guidance weight w at sampling {_per_dataset('guidance')}", placeholder="W"),
    MethodOption("clamp", ("--clamp",), _boolean,
                 f"SummDiff: clamp training targets to [0.05, 0.95] {_per_dataset('clamp')}", ("true", "false")),
    MethodOption("individual", ("--individual",), _boolean,
                 f"SummDiff: train on each annotator's scores, one target per annotator {_per_dataset('individual')}",
                 ("true", "false")),
    MethodOption("ema", ("--ema",), _boolean,
                 "SummDiff: evaluate, keep and save a moving average of the weights, updated after every optimiser step "
                 f"{_per_dataset('ema')[:-1]}, Mr.HiSum true)", ("true", "false")),
    MethodOption("ema_decay", ("--ema-decay", "--ema_decay"), _number_in(0.0, 1.0, high_open=True),
                 f"SummDiff: decay of that average, average = decay * average + (1 - decay) * weights (authors': {_SD.ema_decay:g})",
                 placeholder="DECAY"),
    MethodOption("sampling_steps", ("--sampling-steps",), whole_number(1),
                 f"SummDiff: DDIM steps per sample (authors': {_SD.sampling_steps})", placeholder="N"),
    MethodOption("samples", ("--samples",), whole_number(1),
                 f"SummDiff: samples drawn and averaged per video (authors': {_SD.samples})", placeholder="K"),
    MethodOption("sample_seed", ("--sample-seed",), whole_number(0),
                 f"SummDiff: seed of every video's sampling noise: same weights and seed, same scores (default {_SD.sample_seed}, "
                 "the authors' SumMe seed)", placeholder="SEED"),
    MethodOption("null_video", ("--null-video",), _path,
                 "SummDiff: a .npy file of the null video's features (e.g. the authors' dataset/null_video.npy); default: "
                 f"N(0, 1) features drawn from seed {_SD.null_seed}", placeholder="NPY"),
)


# ---- the registry ----

_CSTA_TRAIN = TrainConfig()
# Both official repositories train SumMe with 20 and TVSum with 40 videos per step (model/run_*_splits.sh):
# every training video of a standard 80/20 split, so one optimiser step per epoch.
_WHOLE_TRAINING_SET = {"SumMe": 20, "TVSum": 40}

_CSTA_PAPER = "CSTA, Son et al., CVPR 2024 (reference section 7); F1 not stated there"
_PGL_README = "github.com/e-apostolidis/PGL-SUM README.md, 'Additional evaluation results' (commit 81d0d6d), its 5 random splits"
_CA_README = "github.com/e-apostolidis/CA-SUM README.md (commit 43eee5d) states no figures"
_SD_README = "SummDiff, Kim, Hahm et al., ICCV 2025; github.com/Kwanseok-K/SummDiff README.md 'Results' (commit 1d4b8ae); F1 not stated there"

METHODS: dict[str, MethodSpec] = {
    "CSTA": MethodSpec(
        name="CSTA",
        source="Son et al., CVPR 2024; github.com/thswodnjs3/CSTA",
        config_type=ModelConfig,
        builder=_build_csta,
        protocol=TrainingProtocol(
            learning_rate=_CSTA_TRAIN.learning_rate, weight_decay=_CSTA_TRAIN.weight_decay, epochs=_CSTA_TRAIN.epochs,
            seed=_CSTA_TRAIN.seed, videos_per_step={"SumMe": 1, "TVSum": 1}, loss_average=LossAverage.PYTHON_FLOAT,
        ),
        loss=Loss.GTSCORE_MSE,
        selection=EpochRule.BEST_ON_TEST,
        key_marker="Positional_encoding_op.pe",
        uses_backbone=True,
        options=_csta_options(),
        options_title="CSTA variant (default: the released configuration; each option also takes the reference's spelling, "
        "shown second; None/none means off; booleans take true/false/yes/no/1/0)",
        published={"SumMe": PublishedFigures(None, 0.246, 0.274, _CSTA_PAPER), "TVSum": PublishedFigures(None, 0.194, 0.255, _CSTA_PAPER)},
    ),
    "PGL-SUM": MethodSpec(
        name="PGL-SUM",
        source="Apostolidis et al., IEEE ISM 2021; github.com/e-apostolidis/PGL-SUM",
        config_type=PGLSumConfig,
        builder=_build_pgl_sum,
        protocol=TrainingProtocol(
            learning_rate=5e-5, weight_decay=1e-5, epochs=200, seed=12345, videos_per_step=_WHOLE_TRAINING_SET,
            grad_clip_norm=5.0, shuffle=Shuffle.DATALOADER,
        ),
        loss=Loss.GTSCORE_MSE,
        selection=EpochRule.LOSS_CURVE,
        key_marker="attention.attention.out.weight",
        paper_options={"heads": "--heads", "num_segments": "--n_segments", "fusion": "--fusion",
                       "positional_encoding": "--pos_enc"},
        options=_PGL_OPTIONS,
        options_title="PGL-SUM options (--method PGL-SUM; default: its authors' configuration)",
        published={"SumMe": PublishedFigures(None, None, None, f"{_PGL_README}: '-' for SumMe; F1 not stated there"),
                   "TVSum": PublishedFigures(None, 0.157, 0.206, f"{_PGL_README}; F1 not stated there")},
    ),
    "CA-SUM": MethodSpec(
        name="CA-SUM",
        source="Apostolidis et al., ACM ICMR 2022; github.com/e-apostolidis/CA-SUM",
        config_type=CASumConfig,
        builder=_build_ca_sum,
        protocol=TrainingProtocol(
            learning_rate=5e-4, weight_decay=1e-5, epochs=400, seed=12345, videos_per_step=_WHOLE_TRAINING_SET,
            grad_clip_norm=5.0, shuffle=Shuffle.DATALOADER, length_factor=0.6, length_factor_sweep=(0.5, 0.6, 0.7, 0.8, 0.9),
        ),
        loss=Loss.LENGTH_REGULARISATION,
        selection=EpochRule.MIN_LOSS,
        key_marker="attention.Wk.weight",
        paper_options={"block_size": "--block_size", "length_factor": "--reg_factor"},
        options=_CA_OPTIONS,
        options_title="CA-SUM options (--method CA-SUM; default: its authors' configuration)",
        published={"SumMe": PublishedFigures(None, None, None, _CA_README), "TVSum": PublishedFigures(None, None, None, _CA_README)},
    ),
    "SummDiff": MethodSpec(
        name="SummDiff",
        source="Kim, Hahm et al., ICCV 2025; github.com/Kwanseok-K/SummDiff",
        config_type=SummDiffConfig,
        builder=_build_summdiff,
        # scripts/train_summe.sh as the general values, train_tvsum.sh and train_mrhisum.sh per data set; their
        # DataLoader keeps the last, smaller batch and their criterion is the masked mean over a padded batch
        protocol=TrainingProtocol(
            learning_rate=3e-5, weight_decay=5e-4, epochs=45, seed=204, videos_per_step={"SumMe": 20, "TVSum": 40, "MrHiSum": 256},
            shuffle=Shuffle.DATALOADER, loss_average=LossAverage.PYTHON_FLOAT, step_loss=StepLoss.LENGTH_WEIGHTED_MEAN,
            partial_step=True,
            by_dataset={"TVSum": {"learning_rate": 3e-4, "weight_decay": 5e-3, "epochs": 200},
                        "MrHiSum": {"learning_rate": 5e-5, "weight_decay": 5e-4, "epochs": 40, "lr_decay": 0.99}},
        ),
        loss=Loss.DENOISING,
        selection=EpochRule.BEST_TAU_ON_TEST,
        key_marker="global_rep_token",
        paper_options={"decoder_layers": "--dec_layers", "input_projections": "--n_input_proj", "score_levels": "--K",
                       "score_embedding": "--scores_embed", "guidance": "--w", "sigmoid_temp": "--sigmoid_temp", "eps": "--eps",
                       "p_uncond": "--p_uncond", "clamp": "--clamp", "individual": "--individual", "denoiser": "--denoiser",
                       "ema": "--ema", "ema_decay": "--ema_decay"},
        options=_SD_OPTIONS,
        options_title="SummDiff options (--method SummDiff; default: its authors' configuration for each data set)",
        published={"SumMe": PublishedFigures(None, 0.256, 0.285, _SD_README), "TVSum": PublishedFigures(None, 0.195, 0.255, _SD_README),
                   "MrHiSum": PublishedFigures(None, 0.175, 0.238, _SD_README)},
        dataset_options=lambda config, dataset: config.for_dataset(dataset),
        annotator_targets=lambda config: bool(config.individual),
        sampling_options=frozenset({"samples", "sample_seed", "sampling_steps", "guidance"}),
        weight_average=lambda config: config.ema_decay if config.ema else None,
    ),
}
METHOD_NAMES = tuple(METHODS)  # in the order --help lists them


def method_spec(name: str) -> MethodSpec:
    """The spec of a --method value (one of METHODS: 'CSTA', 'PGL-SUM', 'CA-SUM', 'SummDiff')."""
    if name not in METHODS:
        near = [known for known in METHODS if known.replace("-", "").lower() == str(name).replace("-", "").replace("_", "").lower()]
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise UnknownMethod(f"unknown method {name!r}{hint}; choose one of {', '.join(METHODS)}")
    return METHODS[name]


def guess_methods(state: Mapping[str, torch.Tensor]) -> list[str]:
    """The methods whose weights ``state`` looks like (by a key only they have); [] when none.

    A method with a CNN trunk (CSTA) is also recognised by the trunk's keys, so that its variants
    without a stored positional table (RPE, CPE, none) are named too.
    """
    from models.variants import read_key_facts  # noqa: PLC0415 - torch, as the state itself

    return [spec.name for spec in METHODS.values()
            if spec.key_marker in state or (spec.uses_backbone and read_key_facts(state) is not None)]


# ---- epoch selection: pure functions of one run's history; epochs count from 1 ----


def _finite_losses(losses: Sequence[float], rule: EpochRule) -> np.ndarray:
    import numpy as np  # noqa: PLC0415 - see the module docstring

    values = np.asarray(losses, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise SelectionUndefined(f"{rule.label}: the training loss is not finite at epoch(s) {', '.join(str(b + 1) for b in bad[:10])}")
    return values


def _loss_curve_epoch(losses: np.ndarray) -> int:
    """PGL-SUM's rule, 0-based: the first marked change after epoch 15, unless the global minimum came more smoothly.

    From 0-based epoch 15 on, the first relative change (next - this) / next of at least 1 % marks a
    candidate: the epoch after a fall, the epoch before a rise. The global minimum (first one, in
    float32 as their torch.tensor) wins if its own change from the epoch before is smaller in size.
    No marked change leaves the candidate at epoch 0 with change 0, so epoch 0 is chosen.
    """
    import numpy as np  # noqa: PLC0415 - see the module docstring

    candidate, candidate_change = 0, 0.0
    for i in range(LOSS_CURVE_START, len(losses) - 1):
        change = (losses[i + 1] - losses[i]) / losses[i + 1] * 100
        if change <= -LOSS_CURVE_TOLERANCE:
            candidate, candidate_change = i + 1, change
            break
        if change >= LOSS_CURVE_TOLERANCE:
            candidate, candidate_change = i, change
            break
    lowest = int(np.argmin(losses.astype(np.float32)))
    # for lowest = 0 the authors' index -1 reads the last epoch; kept as theirs
    lowest_change = (losses[lowest] - losses[lowest - 1]) / losses[lowest] * 100
    return lowest if abs(lowest_change) < abs(candidate_change) else candidate


def _min_loss_epoch(losses: np.ndarray) -> int:
    """CA-SUM's rule, 0-based: the first minimum of epochs 20..399."""
    import numpy as np  # noqa: PLC0415 - see the module docstring

    window = losses[:MIN_LOSS_HORIZON]
    if len(window) <= MIN_LOSS_START:
        raise SelectionUndefined(f"{EpochRule.MIN_LOSS.label}: needs more than {MIN_LOSS_START} epochs (its minimum is sought "
                                 f"from epoch {MIN_LOSS_START + 1}), got {len(window)}")
    return int(np.argmin(window[MIN_LOSS_START:])) + MIN_LOSS_START


def _best_on_test_epochs(kendalls: Sequence[float], spearmans: Sequence[float]) -> list[int]:
    """0-based epochs where tau and rho both beat the best so far (NaN never does), in order."""
    best_tau = best_rho = -1.0
    improving = []
    for epoch, (tau, rho) in enumerate(zip(kendalls, spearmans, strict=True)):
        if tau > best_tau and rho > best_rho:
            best_tau, best_rho = tau, rho
            improving.append(epoch)
    return improving


def _best_tau_epochs(kendalls: Sequence[float]) -> list[int]:
    """0-based epochs whose tau is at least the best so far (NaN never is), in order: SummDiff's solver keeps
    the weights whenever ``best_ktau <= tau``, so a tie moves the choice to the later epoch."""
    best = -math.inf
    kept = []
    for epoch, tau in enumerate(kendalls):
        if tau >= best:
            best = tau
            kept.append(epoch)
    return kept


# Rules on held-out videos' tau (and rho): CSTA's on the test videos (the paper) or a validation split
# (VideoXum), SummDiff's on the test videos' tau alone.
_BEST_ON_HELD_OUT = (EpochRule.BEST_ON_TEST, EpochRule.BEST_ON_VALIDATION, EpochRule.BEST_TAU_ON_TEST)


def _held_out_epochs(rule: EpochRule, kendalls: Sequence[float], spearmans: Sequence[float]) -> list[int]:
    return _best_tau_epochs(kendalls) if rule is EpochRule.BEST_TAU_ON_TEST else _best_on_test_epochs(kendalls, spearmans)


def select_epoch(rule: EpochRule, losses: Sequence[float], kendalls: Sequence[float] | None = None,
                 spearmans: Sequence[float] | None = None) -> int | None:
    """The epoch (from 1) whose weights ``rule`` keeps, from one run's per-epoch history.

    Args:
        losses: mean training loss of each epoch (the loss of epoch k is paired, as by the
            authors, with the weights at the end of epoch k).
        kendalls, spearmans: mean test tau and rho per epoch; needed by BEST_ON_TEST only.

    Returns:
        None only for BEST_ON_TEST when no epoch has a finite tau and rho.
    """
    if rule in _BEST_ON_HELD_OUT:
        if kendalls is None or spearmans is None:
            raise SelectionUndefined(f"{rule.label}: needs the test Kendall tau and Spearman rho of every epoch")
        improving = _held_out_epochs(rule, kendalls, spearmans)
        return improving[-1] + 1 if improving else None
    if not len(losses):
        raise SelectionUndefined(f"{rule.label}: no epoch was trained")
    if rule is EpochRule.LAST:
        return len(losses)
    values = _finite_losses(losses, rule)
    return (_loss_curve_epoch(values) if rule is EpochRule.LOSS_CURVE else _min_loss_epoch(values)) + 1


def retained_epochs(rule: EpochRule, losses: Sequence[float], kendalls: Sequence[float] | None = None,
                    spearmans: Sequence[float] | None = None) -> set[int]:
    """The epochs (from 1) among those trained so far that ``rule`` may still choose, whatever comes next.

    A training loop keeps the weights of these epochs only (at most three) and drops the others,
    instead of every epoch's weights until the end.
    """
    import numpy as np  # noqa: PLC0415 - see the module docstring

    n = len(losses) if rule not in _BEST_ON_HELD_OUT else len(kendalls or ())
    if n == 0:
        return set()
    if rule in _BEST_ON_HELD_OUT:
        improving = _held_out_epochs(rule, kendalls, spearmans)
        return {improving[-1] + 1} if improving else set()
    if rule is EpochRule.LAST:
        return {n}
    values = np.asarray(losses, dtype=np.float64)
    if rule is EpochRule.MIN_LOSS:
        window = values[MIN_LOSS_START:MIN_LOSS_HORIZON]
        return {int(np.argmin(window)) + MIN_LOSS_START + 1} if len(window) else set()
    lowest = int(np.argmin(values.astype(np.float32))) + 1
    for i in range(LOSS_CURVE_START, n - 1):
        change = (values[i + 1] - values[i]) / values[i + 1] * 100
        if change <= -LOSS_CURVE_TOLERANCE:
            return {i + 2, lowest}
        if change >= LOSS_CURVE_TOLERANCE:
            return {i + 1, lowest}
    return {1, n, lowest}  # no marked change yet: epoch 1 (if none ever comes) or the last (a rise next)


# ---- CA-SUM's choice among length factors (choose_best_model.py) ----


def length_improvement(length_factor: float, trained_means: Sequence[float], untrained_means: Sequence[float]) -> float:
    """How far training moved the mean score from the untrained model's towards sigma (their eq. 2-3).

    |mean(trained) - mean(untrained)| / |sigma - mean(untrained)|, where each sequence holds, per
    test video, the mean score of the model at the selected epoch and of the same model before
    training. It reads the test videos' features through the model, never their labels.
    """
    import numpy as np  # noqa: PLC0415 - see the module docstring

    trained, untrained = float(np.mean(trained_means)), float(np.mean(untrained_means))
    return abs(trained - untrained) / abs(length_factor - untrained)


def choose_length_factor(improvements: Sequence[float]) -> int:
    """Index of the chosen sigma: the largest improvement, counting those above 1.5 as 0 (first one on ties)."""
    import numpy as np  # noqa: PLC0415 - see the module docstring

    values = np.asarray(improvements, dtype=np.float64)
    return int(np.argmax(np.where(values > MAX_LENGTH_IMPROVEMENT, 0, values)))
