"""Configuration shared by train.py, inference.py and the packages.

Everything here is plain data: importing this module reads no files, touches no device, seeds
nothing and imports neither torch nor numpy (choosing the device and seeding live in
utils/runtime.py). Defaults are the released CSTA configuration and the paper's training
protocol (see README, "Faithfulness").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from utils.errors import ProjectError

PROJECT_ROOT = Path(__file__).resolve().parent  # the project's own files (splits, grids): not where a user's go
# Default folders are relative to the current folder, as every path a user passes is: run from the clone they are
# the clone's data/ and weights/ (the released weights' place), run from elsewhere (csta-train ...) that folder's.
DEFAULT_DATA_DIR = Path("data")
DEFAULT_WEIGHTS_DIR = Path("weights")
SPLITS_DIR = PROJECT_ROOT / "dataset" / "splits"

# The splits selectable by name (--splits): CSTA's own five (every video tested once), and the five
# random 80/20 splits that PGL-SUM and CA-SUM ship (the same files in both repositories; see
# dataset/splits/apostolidis/README.md for their source).
SPLIT_SETS = {
    "csta": SPLITS_DIR,
    "pgl-sum": SPLITS_DIR / "apostolidis",
    "ca-sum": SPLITS_DIR / "apostolidis",
}

TVSUM_ANNOTATION_FILE = "ydata-anno.tsv"


class Backbone(enum.Enum):
    """The CNN that computes CSTA's attention map (the reference's ``model_name`` without ``_Attention``)."""

    GOOGLENET = "GoogleNet"  # torchvision GoogLeNet, the paper's choice
    RESNET = "ResNet"  # torchvision ResNet-18
    EFFICIENTNET = "EfficientNet"  # torchvision EfficientNet-B0
    MOBILENET = "MobileNet"  # torchvision MobileNet-V2

    @property
    def width(self) -> int:
        """Channels of the trunk's last feature map: the width D of the attention map and of the head."""
        return _BACKBONE_WIDTHS[self]


_BACKBONE_WIDTHS = {Backbone.GOOGLENET: 1024, Backbone.RESNET: 512, Backbone.EFFICIENTNET: 1280, Backbone.MOBILENET: 1280}


class ValueSource(enum.Enum):
    """What the attention maps weigh."""

    FEATURES = "features"  # the (value-embedded) frame features: the reference's *_Attention models
    CNN = "cnn"  # the CNN's own output: the reference's plain GoogleNet, ResNet, ... models


class Scale(enum.Enum):
    """Divide the attention map by the square root of its width, its length or both before the softmax."""

    D = "D"
    T = "T"
    T_D = "T_D"


class SoftmaxAxis(enum.Enum):
    """Which softmax maps the attention map gives: over time, over features, or both (summed)."""

    T = "T"
    D = "D"
    TD = "TD"


class Balance(enum.Enum):
    """With both softmax maps, how the sum is rebalanced for T != D (factors T/D and D/T)."""

    T = "T"  # temporal map times T/D
    D = "D"  # feature map times D/T
    BD = "BD"  # the map over the shorter axis times shorter/longer (down)
    BU = "BU"  # the map over the longer axis times longer/shorter (up)


class PositionalEncoding(enum.Enum):
    FPE = "FPE"  # fixed sine table (the released one)
    RPE = "RPE"  # relative sine table, computed for each length
    LPE = "LPE"  # learnt table (at most positional_table_rows rows)
    CPE = "CPE"  # conditional: a 3-tap convolution over time


class EncodingShape(enum.Enum):
    """Positional encoding values per step and feature (TD) or per step only (T, repeated over features)."""

    TD = "TD"
    T = "T"


class EncodingWay(enum.Enum):
    """Where the positional encoding and the dropout go."""

    PGL_SUM = "PGL_SUM"  # on the attention map before the softmax; dropout on the softmax maps
    TRANSFORMER = "Transformer"  # on the linearly projected input; dropout on the input


class ClsMix(enum.Enum):
    """Where the CLS token's row is averaged into the steps (pooling T+1 rows to T)."""

    CNN = "CNN"  # right after the CNN (attention map and input)
    SM = "SM"  # on the softmax maps and the values
    FINAL = "Final"  # on the weighted output, before the head


class KeyValueEmbedding(enum.Enum):
    """Linear embeddings of the key (the CNN's input) and of the values."""

    K = "k"
    V = "v"
    KV = "kv"


class SkipConnection(enum.Enum):
    KC = "KC"  # key added to the CNN's output
    CF = "CF"  # CNN's output added to the weighted features
    IF = "IF"  # input features added to the weighted features


class ModelConfigError(ProjectError):
    """A model configuration that the method does not define; the message says why."""


@dataclass(frozen=True)
class ModelConfig:
    """Which CSTA variant to build; the defaults are the released configuration.

    The variant fields are the reference implementation's options (same meaning, typed; None means
    "off"): backbone and value_source together are its ``model_name`` (see ``model_name``).
    ``validate()`` refuses combinations the method does not define, before anything is built.
    """

    backbone: Backbone = Backbone.GOOGLENET
    value_source: ValueSource = ValueSource.FEATURES  # the released model is GoogleNet_Attention
    scale: Scale | None = None
    softmax_axis: SoftmaxAxis | None = SoftmaxAxis.TD
    balance: Balance | None = None
    positional_encoding: PositionalEncoding | None = PositionalEncoding.FPE
    positional_encoding_shape: EncodingShape | None = EncodingShape.TD
    positional_encoding_way: EncodingWay | None = EncodingWay.PGL_SUM
    dropout_on: bool = True
    dropout_ratio: float = 0.6  # on both softmax maps (PGL_SUM way) or on the input (Transformer way), training only
    classifier_on: bool = True  # False: the score is the mean over features (no regression head)
    cls_on: bool = True  # a learnt CLS row stacked on top of the steps
    cls_mix: ClsMix | None = ClsMix.FINAL
    key_value_emb: KeyValueEmbedding | None = KeyValueEmbedding.KV
    skip_connection: SkipConnection | None = SkipConnection.KC
    layernorm: bool = True  # a BatchNorm after the skip connection (the reference calls it layernorm)

    feature_dim: int = 1024  # GoogLeNet pool5 features; the released weights need 1024
    head_dropout: float = 0.5  # inside the regression head
    head_layernorm_eps: float = 1e-6
    positional_table_rows: int = 5000  # rows of the stored FPE table and of the LPE table (checkpoint layout)

    @property
    def model_name(self) -> str:
        """The reference's name for backbone and value source, e.g. 'GoogleNet_Attention'."""
        suffix = "_Attention" if self.value_source is ValueSource.FEATURES else ""
        return self.backbone.value + suffix

    @staticmethod
    def split_model_name(name: str) -> tuple[Backbone, ValueSource]:
        """The reference's model_name ('ResNet_Attention', ...) as backbone and value source."""
        for backbone in Backbone:
            for source, suffix in ((ValueSource.FEATURES, "_Attention"), (ValueSource.CNN, "")):
                if name.strip().lower() == (backbone.value + suffix).lower():
                    return backbone, source
        raise ModelConfigError(f"unknown model_name {name!r}; choose one of {', '.join(option_values('model_name'))}")

    def validate(self) -> ModelConfig:
        """Refuse a combination the method does not define, with one sentence per problem.

        Raises ModelConfigError. Returns the configuration itself, so that it can be chained.
        """
        problems = _type_problems(self)
        if not problems:
            problems = _combination_problems(self) + _width_problems(self)
        if problems:
            raise ModelConfigError(f"the CSTA variant {self.model_name} is not defined:\n  " + "\n  ".join(problems))
        return self

    def to_options(self) -> dict[str, str | bool | float | int | None]:
        """Every field under the reference's option name and spelling (None means off): JSON-ready, and
        read back exactly by ``from_options``. The fields the reference has no option for keep their names."""
        options: dict[str, str | bool | float | int | None] = {"model_name": self.model_name}
        for field_name, option in OPTION_FIELDS.items():
            value = getattr(self, field_name)
            options[option] = value.value if isinstance(value, enum.Enum) else value
        return options

    @classmethod
    def from_options(cls, options: Mapping[str, object]) -> ModelConfig:
        """The configuration named by the reference's options (a command line's strings, or a record).

        Values are the reference's spellings, case-insensitive ('None'/'none' for off; booleans
        true/false/yes/no/1/0). An option not given takes the released value where it has an effect,
        and off where the given options leave it none (CLS_mix without a CLS token, Layernorm without
        a skip connection, Positional_encoding and its shape without a way to add it, Dropout_on where
        no dropout applies), so that ``--CLS_on false`` alone is a complete variant, as in the reference.

        Raises ModelConfigError for an unknown option or value, and for a combination that
        ``validate`` refuses.
        """
        unknown = sorted(set(options) - {"model_name", *OPTION_FIELDS.values()})
        if unknown:
            raise ModelConfigError(
                f"unknown model option(s) {', '.join(unknown)}; the options are model_name, {', '.join(OPTION_FIELDS.values())}"
            )
        values: dict[str, object] = {}
        if "model_name" in options:
            values["backbone"], values["value_source"] = cls.split_model_name(str(options["model_name"]))
        for field_name, option in OPTION_FIELDS.items():
            if option in options:
                values[field_name] = parse_option(option, options[option])
        defaults = cls()

        settled = {**{f.name: getattr(defaults, f.name) for f in fields(defaults)}, **values}
        if "positional_encoding" not in values and settled["positional_encoding_way"] is None:
            settled["positional_encoding"] = None
        if "cls_mix" not in values and not settled["cls_on"]:
            settled["cls_mix"] = None
        if "positional_encoding_shape" not in values and settled["positional_encoding"] is None:
            settled["positional_encoding_shape"] = None
        if "layernorm" not in values and settled["skip_connection"] is None:
            settled["layernorm"] = False
        if "dropout_on" not in values:
            way, axis = settled["positional_encoding_way"], settled["softmax_axis"]
            settled["dropout_on"] = way is EncodingWay.TRANSFORMER or (way is EncodingWay.PGL_SUM and axis is not None)
        return cls(**settled).validate()


# Field name -> the reference's option name, for every field but backbone/value_source (its model_name).
OPTION_FIELDS = {
    "scale": "Scale",
    "softmax_axis": "Softmax_axis",
    "balance": "Balance",
    "positional_encoding": "Positional_encoding",
    "positional_encoding_shape": "Positional_encoding_shape",
    "positional_encoding_way": "Positional_encoding_way",
    "dropout_on": "Dropout_on",
    "dropout_ratio": "Dropout_ratio",
    "classifier_on": "Classifier_on",
    "cls_on": "CLS_on",
    "cls_mix": "CLS_mix",
    "key_value_emb": "key_value_emb",
    "skip_connection": "Skip_connection",
    "layernorm": "Layernorm",
    # not options of the reference (fixed there); kept so that a record holds the whole configuration
    "feature_dim": "feature_dim",
    "head_dropout": "head_dropout",
    "head_layernorm_eps": "head_layernorm_eps",
    "positional_table_rows": "positional_table_rows",
}

_TRUE, _FALSE = ("true", "yes", "1", "t", "y"), ("false", "no", "0", "f", "n")


def option_values(option: str) -> list[str]:
    """The spellings an option accepts, for help texts and error messages ('model_name' included)."""
    if option == "model_name":
        return [b.value + s for b in Backbone for s in ("", "_Attention")]
    kind = _FIELD_TYPES[_FIELD_OF_OPTION[option]]
    if kind is bool:
        return ["true", "false"]
    if issubclass(kind, enum.Enum):
        return [member.value for member in kind] + ["None"]
    return [kind.__name__]


def parse_option(option: str, value: object) -> object:
    """One option's value from its reference spelling (or already typed). Raises ModelConfigError."""
    field_name = _FIELD_OF_OPTION.get(option)
    if field_name is None:
        raise ModelConfigError(f"unknown model option {option!r}")
    kind = _FIELD_TYPES[field_name]
    text = value.strip() if isinstance(value, str) else value
    if kind is bool:
        if isinstance(text, bool):
            return text
        if isinstance(text, str) and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
    elif kind in (int, float):
        try:
            if not isinstance(text, bool):
                return kind(text)
        except (TypeError, ValueError):
            pass
        raise ModelConfigError(f"{option} must be a number ({kind.__name__}), not {value!r}")
    else:
        if text is None or isinstance(text, kind):
            return text
        if isinstance(text, str):
            if text.lower() == "none":
                return None
            for member in kind:
                if member.value.lower() == text.lower():
                    return member
    raise ModelConfigError(f"unknown {option} {value!r}; choose one of {', '.join(option_values(option))}")


def _type_problems(cfg: ModelConfig) -> list[str]:
    problems = []
    for item in fields(cfg):
        value = getattr(cfg, item.name)
        kind = _FIELD_TYPES.get(item.name)
        if kind is None:
            continue
        optional = item.name not in ("backbone", "value_source")
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            if not (isinstance(value, kind) or (optional and value is None)):
                allowed = ", ".join(f"{kind.__name__}.{member.name}" for member in kind) + (", None" if optional else "")
                problems.append(
                    f"{item.name} must be one of {allowed}, not {value!r} (ModelConfig.from_options reads the reference's spellings)"
                )
        elif isinstance(value, bool) and kind is not bool or not isinstance(value, (int, float) if kind is float else kind):
            problems.append(f"{item.name} must be a {kind.__name__}, not {value!r}")
    if not problems and not 0.0 <= cfg.dropout_ratio <= 1.0:
        problems.append(f"Dropout_ratio must lie in [0, 1], not {cfg.dropout_ratio}")
    return problems


_FIELD_TYPES: dict[str, type] = {
    "backbone": Backbone,
    "value_source": ValueSource,
    "scale": Scale,
    "softmax_axis": SoftmaxAxis,
    "balance": Balance,
    "positional_encoding": PositionalEncoding,
    "positional_encoding_shape": EncodingShape,
    "positional_encoding_way": EncodingWay,
    "dropout_on": bool,
    "dropout_ratio": float,
    "classifier_on": bool,
    "cls_on": bool,
    "cls_mix": ClsMix,
    "key_value_emb": KeyValueEmbedding,
    "skip_connection": SkipConnection,
    "layernorm": bool,
    "feature_dim": int,
    "head_dropout": float,
    "head_layernorm_eps": float,
    "positional_table_rows": int,
}
_FIELD_OF_OPTION = {option: field_name for field_name, option in OPTION_FIELDS.items()}


def _combination_problems(cfg: ModelConfig) -> list[str]:
    """Options that contradict each other, or that the others leave without any effect."""
    problems = []
    pe, way, axis = cfg.positional_encoding, cfg.positional_encoding_way, cfg.softmax_axis
    mix = cfg.cls_mix if cfg.cls_on else None  # without a CLS row, CLS_mix has no effect (refused below)
    if cfg.cls_on and cfg.cls_mix is None:
        problems.append("CLS_on true needs a CLS_mix (CNN, SM or Final): the CLS row must be averaged into the steps somewhere")
    if not cfg.cls_on and cfg.cls_mix is not None:
        problems.append(f"CLS_mix {cfg.cls_mix.value} averages the CLS row into the steps, but CLS_on is false (no CLS row): leave CLS_mix None")
    if cfg.balance is not None and axis is not SoftmaxAxis.TD:
        problems.append(
            f"Balance {cfg.balance.value} weighs the temporal softmax map against the feature one; it needs "
            f"Softmax_axis TD (both maps), not {_spelled(axis)}"
        )
    if pe is not None and cfg.positional_encoding_shape is None:
        problems.append(f"Positional_encoding {pe.value} needs a Positional_encoding_shape (TD or T)")
    if pe is None and cfg.positional_encoding_shape is not None:
        problems.append(
            f"Positional_encoding_shape {cfg.positional_encoding_shape.value} shapes a positional encoding, "
            "but Positional_encoding is None: leave the shape None"
        )
    if pe is not None and way is None:
        problems.append(
            f"Positional_encoding {pe.value} with Positional_encoding_way None is never added (the reference builds "
            "it and leaves it unused): choose PGL_SUM or Transformer, or Positional_encoding None"
        )
    if cfg.dropout_on and way is None:
        problems.append(
            "Dropout_on true with Positional_encoding_way None: the dropout acts only in the PGL_SUM way (on the "
            "softmax maps) or the Transformer way (on the input), so it would never apply: set Dropout_on false"
        )
    if cfg.dropout_on and way is EncodingWay.PGL_SUM and axis is None:
        problems.append(
            "Dropout_on true in the PGL_SUM way drops out the softmax maps, and Softmax_axis None has none: "
            "set Dropout_on false"
        )
    if mix is ClsMix.SM and axis is None:
        problems.append("CLS_mix SM averages the CLS row into the softmax maps, and Softmax_axis None has none")
    if cfg.skip_connection is SkipConnection.IF and mix is ClsMix.SM:
        problems.append(
            "Skip_connection IF adds the input (still T+1 rows with the CLS row) to the weighted features that "
            "CLS_mix SM has already averaged to T rows: use CLS_mix CNN or Final"
        )
    if cfg.layernorm and cfg.skip_connection is None:
        problems.append("Layernorm normalises after the skip connection, and Skip_connection is None: set Layernorm false")
    if cfg.value_source is ValueSource.CNN and cfg.key_value_emb is KeyValueEmbedding.V:
        problems.append(
            f"key_value_emb v embeds the values, but {cfg.model_name} weighs the CNN's own output, which is not "
            f"embedded: use {cfg.model_name}_Attention, or key_value_emb k, kv or None"
        )
    return problems


def _width_problems(cfg: ModelConfig) -> list[str]:
    """Follow the widths through the forward pass: the input features are F wide, the CNN's output D."""
    f_width, d_width, name = cfg.feature_dim, cfg.backbone.width, cfg.backbone.value
    widths = f"{name}'s attention map is {d_width} wide and the features {f_width}"
    if cfg.positional_encoding_way is EncodingWay.TRANSFORMER and d_width != f_width:
        return [f"Positional_encoding_way Transformer projects the features with a {d_width} x {d_width} layer, "
                f"and {widths}: only GoogleNet fits"]
    problems = []
    mix = cfg.cls_mix if cfg.cls_on else None
    has_key_embedding = cfg.key_value_emb in (KeyValueEmbedding.K, KeyValueEmbedding.KV)
    key_width = d_width if has_key_embedding else f_width
    if cfg.skip_connection is SkipConnection.KC and key_width != d_width:
        problems.append(f"Skip_connection KC adds the key to the attention map, and without a key embedding {widths}")
    # the input's width when the values are computed: CLS_mix CNN averages it to D columns
    input_width = d_width if mix is ClsMix.CNN else f_width
    if cfg.value_source is ValueSource.CNN:
        value_width = d_width
    elif cfg.key_value_emb is KeyValueEmbedding.KV:
        if input_width != f_width:
            problems.append(
                f"key_value_emb kv embeds the {f_width}-wide features, and CLS_mix CNN has averaged them to "
                f"{name}'s width {d_width}"
            )
        value_width = d_width
    elif cfg.key_value_emb is KeyValueEmbedding.V:
        if input_width != d_width:
            problems.append(f"key_value_emb v embeds the values with a {d_width} x {d_width} layer, and {widths}")
        value_width = d_width
    else:
        value_width = input_width
    if mix is ClsMix.SM:
        value_width = d_width  # SM averages the values to the attention map's shape
    if value_width != d_width and not problems:
        problems.append(
            f"without a value embedding the attention maps weigh the features themselves, and {widths} "
            "(CLS_mix CNN or SM would average the features to the map's width)"
        )
    if cfg.skip_connection is SkipConnection.IF and input_width != d_width:
        problems.append(f"Skip_connection IF adds the input features to the weighted ones, and {widths}")
    return problems


def _spelled(value: enum.Enum | None) -> str:
    return "None" if value is None else str(value.value)


# ---- PGL-SUM's and CA-SUM's architecture options (torch-free, so that command lines parse without torch) ----


class MethodConfigError(ProjectError, ValueError):
    """A model option outside what the method's architecture allows; the message names it."""


class PGLPositionalEncoding(enum.Enum):
    """PGL-SUM's sinusoidal table added to the attention energies (models.pgl_sum calls it PositionalEncoding)."""

    ABSOLUTE = "absolute"  # position of each step (Vaswani et al.), the paper's choice
    RELATIVE = "relative"  # offset between the two steps


class Fusion(enum.Enum):
    """How a segment's local attention output joins the global one (both L2-normalised first)."""

    ADD = "add"  # the paper's choice
    MULT = "mult"
    AVG = "avg"
    MAX = "max"


SEGMENT_ADVICE_MAX = 16  # the largest number of PGL-SUM segments a refusal offers (the authors use 4)


@dataclass(frozen=True)
class PGLSumConfig:
    """The architecture options of PGL-SUM; defaults are the authors' training and released configuration."""

    feature_dim: int = 1024  # GoogLeNet pool5 features ("input_size")
    hidden_dim: int = 1024  # width of Q, K, V over all global heads ("output_size"; their solver sets it to input_size)
    heads: int = 8  # global attention heads
    num_segments: int | None = 4  # local attention mechanisms, one per segment; None: global attention only
    local_heads: int = 4  # heads of every local attention (a constant in the authors' code)
    fusion: Fusion | None = Fusion.ADD  # None: the local attentions exist (their weights load) but are not used
    positional_encoding: PGLPositionalEncoding | None = PGLPositionalEncoding.ABSOLUTE
    frequency: int = 10000  # base of the sinusoids ("freq")
    dropout: float = 0.5  # on the attention maps and twice in the regression head (fixed in the authors' code)

    def __post_init__(self) -> None:
        # The authors' code fails only at the first forward (a matmul of mismatched widths); refuse at once instead.
        if self.heads < 1 or self.hidden_dim % self.heads:
            raise MethodConfigError(f"PGL-SUM: heads={self.heads} must be at least 1 and divide the hidden width {self.hidden_dim}")
        if self.num_segments is not None:
            if self.num_segments < 2:
                raise MethodConfigError(f"PGL-SUM: num_segments={self.num_segments}; use None (no local attention) or 2 or more")
            local_width = self.hidden_dim // self.num_segments
            if local_width < self.local_heads or local_width % self.local_heads:
                raise MethodConfigError(
                    f"PGL-SUM: num_segments={self.num_segments} gives local attentions of width {self.hidden_dim} // "
                    f"{self.num_segments} = {local_width}, which {self.local_heads} local heads cannot share evenly; "
                    f"choose num_segments among {', '.join(map(str, self.segment_counts()))} (for width {self.hidden_dim}, "
                    f"{self.local_heads} local heads; up to {SEGMENT_ADVICE_MAX} shown)"
                )
        if not isinstance(self.fusion, Fusion | None) or not isinstance(self.positional_encoding, PGLPositionalEncoding | None):
            raise MethodConfigError(f"PGL-SUM: fusion and positional_encoding must be enum values or None, got {self.fusion!r}, {self.positional_encoding!r}")

    def segment_counts(self) -> list[int]:
        """The numbers of segments this width and these local heads take (from 2 to SEGMENT_ADVICE_MAX), so that the
        advice after a refused value offers only values that work: which ones depends on the width (512-d features
        take 9 but not 5; 1024-d take 5)."""
        return [count for count in range(2, SEGMENT_ADVICE_MAX + 1)
                if self.hidden_dim // count >= self.local_heads and (self.hidden_dim // count) % self.local_heads == 0]

    def as_dict(self) -> dict:
        """Plain JSON values (enums by their value), for the record beside a weights file."""
        values = asdict(self)
        for key in ("fusion", "positional_encoding"):
            values[key] = None if values[key] is None else values[key].value
        return values

    @classmethod
    def from_dict(cls, values: dict) -> PGLSumConfig:
        """The inverse of as_dict; an unknown option is a MethodConfigError naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise MethodConfigError(f"PGL-SUM has no option {', '.join(unknown)}; its options are {', '.join(sorted(known))}")
        values = dict(values)
        try:
            if isinstance(values.get("fusion"), str):
                values["fusion"] = Fusion(values["fusion"].lower())
            if isinstance(values.get("positional_encoding"), str):
                values["positional_encoding"] = PGLPositionalEncoding(values["positional_encoding"].lower())
        except ValueError as error:
            raise MethodConfigError(f"PGL-SUM: {error}; fusion is one of {[f.value for f in Fusion]}, "
                                    f"positional_encoding one of {[p.value for p in PGLPositionalEncoding]} or None") from error
        return cls(**values)

    # the interface ModelConfig offers, so that records and command lines treat every method alike
    to_options = as_dict
    from_options = from_dict


@dataclass(frozen=True)
class CASumConfig:
    """The architecture options of CA-SUM; defaults are the authors' training and released configuration."""

    feature_dim: int = 1024  # GoogLeNet pool5 features ("input_size")
    hidden_dim: int = 1024  # width of Q, K, V ("output_size"; their solver sets it to input_size)
    block_size: int = 60  # steps per diagonal block of the attention matrix (30 s of video at 2 fps)
    dropout: float = 0.5  # twice in the regression head (fixed in the authors' code)

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise MethodConfigError(f"CA-SUM: block_size={self.block_size} must be at least 1")

    def as_dict(self) -> dict:
        """Plain JSON values, for the record beside a weights file."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> CASumConfig:
        """The inverse of as_dict; an unknown option is a MethodConfigError naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise MethodConfigError(f"CA-SUM has no option {', '.join(unknown)}; its options are {', '.join(sorted(known))}")
        return cls(**values)

    to_options = as_dict
    from_options = from_dict


# ---- which epoch's weights a training run keeps (torch-free, so that train.py --select parses without torch) ----


class EpochRule(enum.Enum):
    """Which epoch's weights a training run keeps: each method's authors' rule, selectable for every method."""

    BEST_ON_TEST = "test"  # CSTA: the last epoch whose mean test Kendall tau AND Spearman rho both beat the best so far
    LOSS_CURVE = "loss-curve"  # PGL-SUM: from the shape of the training-loss curve (choose_best_epoch.py)
    MIN_LOSS = "min-loss"  # CA-SUM: minimum training loss over epochs 21-400 (choose_best_model.py, 'argmin')
    LAST = "last"  # the final epoch (CA-SUM's alternative 'last')
    # CSTA's rule on a held-out validation split instead of the test videos (VideoXum, which has one)
    BEST_ON_VALIDATION = "validation"
    # SummDiff: the last epoch whose mean test Kendall tau is at least the best so far (their solver's best_ktau)
    BEST_TAU_ON_TEST = "test-tau"

    @property
    def looks_at_test_labels(self) -> bool:
        """True when the choice reads the test videos' annotations: its figures are not a held-out estimate."""
        return self in (EpochRule.BEST_ON_TEST, EpochRule.BEST_TAU_ON_TEST)

    @property
    def label(self) -> str:
        """How every table names the rule, saying whether it saw test labels."""
        return _RULE_LABELS[self]

    @property
    def min_epochs(self) -> int:
        """Fewest epochs for which the rule means what its authors meant (MIN_LOSS refuses fewer)."""
        return {EpochRule.LOSS_CURVE: LOSS_CURVE_START + 2, EpochRule.MIN_LOSS: MIN_LOSS_START + 1}.get(self, 1)


_RULE_LABELS = {
    EpochRule.BEST_ON_TEST: "best on test tau & rho (CSTA's rule; looks at test labels)",
    EpochRule.LOSS_CURVE: "training-loss curve (PGL-SUM's rule; no test labels)",
    EpochRule.MIN_LOSS: "minimum training loss (CA-SUM's rule; no test labels)",
    EpochRule.LAST: "last epoch (no test labels)",
    EpochRule.BEST_ON_VALIDATION: "best on validation tau & rho (CSTA's rule, selected on validation; no test labels)",
    EpochRule.BEST_TAU_ON_TEST: "best on test tau, ties to the later epoch (SummDiff's rule; looks at test labels)",
}

# PGL-SUM's rule (choose_best_epoch.py): changes are examined from this 0-based epoch on, with this tolerance in percent.
LOSS_CURVE_START = 15
LOSS_CURVE_TOLERANCE = 1.0
# CA-SUM's rule (choose_best_model.py): the minimum is sought from this 0-based epoch, among the first MIN_LOSS_HORIZON.
MIN_LOSS_START = 20
MIN_LOSS_HORIZON = 400
# CA-SUM's choice among sigmas: improvements above this are treated as failures (set to 0).
MAX_LENGTH_IMPROVEMENT = 1.5


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

    def splits_path(self, split_set: str = "csta") -> Path:
        """The splits file of this dataset in a named set of splits (see SPLIT_SETS)."""
        if split_set not in SPLIT_SETS:
            raise ValueError(f"unknown set of splits {split_set!r}; choose one of {', '.join(SPLIT_SETS)}")
        return SPLIT_SETS[split_set] / f"{self.name}.json"


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

# VideoXum and a data set built by build_dataset.py are not DATASETS (the eccv16 h5 benchmarks): every
# data set the commands know, these two included, is declared in sources/ (one module each).


def dataset_specs(choice: str) -> list[DatasetSpec]:
    """The datasets named by a --dataset value ('SumMe', 'TVSum' or 'all')."""
    if choice == "all":
        return list(DATASETS.values())
    if choice not in DATASETS:
        raise ValueError(f"unknown dataset {choice!r}; choose one of {', '.join(DATASETS)} or 'all'")
    return [DATASETS[choice]]
