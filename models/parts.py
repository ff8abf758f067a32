"""The parts of a CSTA variant, each decided once from the configuration (see ``plan_parts``).

Every part is a small frozen value holding only its own decisions (never a module): it acts at
fixed points of CSTA.forward and gets the model when it needs one of its layers. A part that an
option turns off passes its input through. The options follow the reference implementation;
where it applies something surprising on purpose-free grounds (the Transformer way's encoding
added to the input's first axis), the part keeps it for weight compatibility and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import torch
import torch.nn.functional as F

from config import (
    Balance,
    ClsMix,
    EncodingWay,
    KeyValueEmbedding,
    ModelConfig,
    Scale,
    SkipConnection,
    SoftmaxAxis,
    ValueSource,
)

if TYPE_CHECKING:
    from models.csta import CSTA


def pool_steps(x: torch.Tensor, n_steps: int, width: int) -> torch.Tensor:
    """Average a map Sized [..., R, W] to [..., n_steps, width]: the reference's way of folding the
    CLS row into the steps (neighbouring rows averaged; the CLS row goes into step 0).

    Takes [R, W] maps and [C, R, W] stacks of them (adaptive pooling over the last two axes).
    From T + 1 rows to T at the same width, adaptive pooling averages each row with the next one;
    that case is written out as such, the same bits (tests/models/test_parts.py) at a tenth of the
    time of torch's general pooling kernel.
    """
    if x.shape[-2] == n_steps + 1 and x.shape[-1] == width:
        return (x[..., :-1, :] + x[..., 1:, :]) / 2
    if x.dim() == 2:
        return F.adaptive_avg_pool2d(x[None], (n_steps, width))[0]
    return F.adaptive_avg_pool2d(x, (n_steps, width))


class Maps(NamedTuple):
    """The softmax maps of the attention map, each Sized like it (None where not computed)."""

    over_time: torch.Tensor | None
    over_features: torch.Tensor | None

    def each(self, fn) -> Maps:  # noqa: ANN001 - a tensor -> tensor function
        """Apply ``fn`` to every map, the temporal one first (the order the dropout draws in)."""
        return Maps(*(None if m is None else fn(m) for m in self))


@dataclass(frozen=True)
class ClsToken:
    """The learnt CLS row stacked on top of the steps, and where it is averaged back into them."""

    mix: ClsMix | None  # None: no CLS row

    def stack(self, net: CSTA, image: torch.Tensor) -> torch.Tensor:
        """[1, 3, T, W] -> [1, 3, T+1, W]; the CLS row differs per channel."""
        return image if self.mix is None else torch.cat((net.CLS, image), dim=2)

    def after_cnn(self, attention: torch.Tensor, image: torch.Tensor, n_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        """CNN: the attention map and the input stack lose the CLS row (both to the map's width)."""
        if self.mix is not ClsMix.CNN:
            return attention, image
        width = attention.shape[1]
        return pool_steps(attention, n_steps, width), pool_steps(image[0], n_steps, width)[None]

    def on_maps(self, maps: Maps, n_steps: int, width: int) -> Maps:
        """SM: the softmax maps lose the CLS row."""
        return maps.each(lambda m: pool_steps(m, n_steps, width)) if self.mix is ClsMix.SM else maps

    def on_value(self, value: torch.Tensor, n_steps: int, width: int) -> torch.Tensor:
        """SM: the values lose the CLS row (and take the map's width)."""
        return pool_steps(value, n_steps, width) if self.mix is ClsMix.SM else value

    def at_end(self, mixed: torch.Tensor, n_steps: int) -> torch.Tensor:
        """Final: the weighted output loses the CLS row."""
        return pool_steps(mixed, n_steps, mixed.shape[1]) if self.mix is ClsMix.FINAL else mixed


@dataclass(frozen=True)
class PositionalWay:
    """Where the positional encoding (``net.Positional_encoding_op``) and the dropout act."""

    way: EncodingWay | None
    encode: bool  # a positional encoding is configured
    dropout: bool

    def project(self, net: CSTA, image: torch.Tensor) -> torch.Tensor:
        """Transformer: a linear projection of the input, before the CLS row is stacked."""
        return net.Positional_encoding_embedding(image) if self.way is EncodingWay.TRANSFORMER else image

    def on_input(self, net: CSTA, image: torch.Tensor) -> torch.Tensor:
        """Transformer: encoding, then dropout, on the input stack Sized [1, 3, R, W].

        The reference hands the 4-d stack to the encoding, which indexes its table by the first
        axis (length 1): FPE and LPE add the table's first row to every row, RPE adds zeros, CPE
        convolves each channel over time. Kept for weight compatibility.
        """
        if self.way is not EncodingWay.TRANSFORMER:
            return image
        if self.encode:
            image = net.Positional_encoding_op(image)
        return net.dropout(image) if self.dropout else image

    def on_attention(self, net: CSTA, attention: torch.Tensor) -> torch.Tensor:
        """PGL_SUM: the encoding is added to the attention map Sized [R, D]."""
        return net.Positional_encoding_op(attention) if self.way is EncodingWay.PGL_SUM and self.encode else attention

    def on_maps(self, net: CSTA, maps: Maps) -> Maps:
        """PGL_SUM: dropout on the softmax maps."""
        return maps.each(net.dropout) if self.way is EncodingWay.PGL_SUM and self.dropout else maps


@dataclass(frozen=True)
class Embeddings:
    """The key (what the CNN sees) and the value (what the attention maps weigh)."""

    embed_key: bool
    value: ValueSource
    embed_value: bool

    def key(self, net: CSTA, image: torch.Tensor) -> torch.Tensor:
        return net.key_embedding(image) if self.embed_key else image

    def values(self, net: CSTA, inputs: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """inputs: one channel of the input stack, Sized [R, W]; attention: Sized [R, D]."""
        if self.value is ValueSource.CNN:
            return attention
        return net.value_embedding(inputs) if self.embed_value else inputs


# The reference's attribute name of each skip connection's BatchNorm.
NORM_NAMES = {SkipConnection.KC: "layernorm1", SkipConnection.CF: "layernorm2", SkipConnection.IF: "layernorm3"}


@dataclass(frozen=True)
class Skip:
    """The skip connection and its normalisation (a one-channel BatchNorm the reference calls layernorm)."""

    kind: SkipConnection | None
    normalise: bool

    def _norm(self, net: CSTA, x: torch.Tensor) -> torch.Tensor:
        if not self.normalise:
            return x
        return getattr(net, NORM_NAMES[self.kind])(x[None, None])[0, 0]

    def after_cnn(self, net: CSTA, attention: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """KC: the key (one channel) is added to the CNN's output."""
        return self._norm(net, attention + key[0, 0]) if self.kind is SkipConnection.KC else attention

    def after_weighting(
        self, net: CSTA, mixed: torch.Tensor, attention: torch.Tensor, inputs: torch.Tensor, n_steps: int
    ) -> torch.Tensor:
        """CF: the attention map (without its CLS row when the output has lost it) is added to the
        weighted values; IF: the input is added to them."""
        if self.kind is SkipConnection.CF:
            if mixed.shape != attention.shape:
                attention = pool_steps(attention, n_steps, attention.shape[1])
            return self._norm(net, mixed + attention)
        if self.kind is SkipConnection.IF:
            return self._norm(net, mixed + inputs)
        return mixed


@dataclass(frozen=True)
class AttentionMaps:
    """From the attention map to softmax maps, and how they weigh the values."""

    scale: Scale | None
    axis: SoftmaxAxis | None
    balance: Balance | None

    def scaled(self, attention: torch.Tensor) -> torch.Tensor:
        """Divided by the square root of its width (D), length (T, rows as they are) or both."""
        if self.scale is None:
            return attention
        rows, width = attention.shape
        factor = {Scale.D: width, Scale.T: rows, Scale.T_D: rows * width}[self.scale]
        return attention / factor**0.5

    def softmax(self, attention: torch.Tensor) -> Maps:
        over_time = F.softmax(attention, dim=0) if self.axis in (SoftmaxAxis.T, SoftmaxAxis.TD) else None
        over_features = F.softmax(attention, dim=1) if self.axis in (SoftmaxAxis.D, SoftmaxAxis.TD) else None
        return Maps(over_time, over_features)

    def weigh(self, value: torch.Tensor, maps: Maps, attention: torch.Tensor) -> torch.Tensor:
        """value times each map, summed (rebalanced by T/D or D/T as asked); without softmax, value
        times the attention map itself."""
        if self.axis is None:
            return value * attention
        if self.axis is SoftmaxAxis.T:
            return value * maps.over_time
        if self.axis is SoftmaxAxis.D:
            return value * maps.over_features
        over_time, over_features = value * maps.over_time, value * maps.over_features
        rows, width = value.shape
        side = _balanced_side(self.balance, rows, width)
        if side is SoftmaxAxis.T:
            over_time = over_time * (rows / width)
        elif side is SoftmaxAxis.D:
            over_features = over_features * (width / rows)
        return over_time + over_features


def _balanced_side(balance: Balance | None, rows: int, width: int) -> SoftmaxAxis | None:
    """Which map Balance multiplies: T by T/D, D by D/T, or neither."""
    if balance is Balance.T:
        return SoftmaxAxis.T
    if balance is Balance.D:
        return SoftmaxAxis.D
    if balance is None or rows == width:
        return None
    longer, shorter = (SoftmaxAxis.T, SoftmaxAxis.D) if rows > width else (SoftmaxAxis.D, SoftmaxAxis.T)
    # BD multiplies the shorter axis's map by shorter/longer (down), BU the longer one's by longer/shorter (up)
    return shorter if balance is Balance.BD else longer


@dataclass(frozen=True)
class Head:
    """Scores from the weighted values Sized [T, D]: the regression head, or their mean over features."""

    classifier: bool

    def __call__(self, net: CSTA, mixed: torch.Tensor) -> torch.Tensor:
        if self.classifier:
            return net.linear2(net.linear1(mixed)).squeeze(-1)
        return net.gap(mixed).squeeze(-1)


class Parts(NamedTuple):
    """Every part of one variant, in the order CSTA.forward unpacks them."""

    cls: ClsToken
    way: PositionalWay
    embeddings: Embeddings
    skip: Skip
    maps: AttentionMaps
    head: Head


def plan_parts(config: ModelConfig) -> Parts:
    """Translate a (validated) configuration into its parts, once."""
    kv = config.key_value_emb
    return Parts(
        cls=ClsToken(config.cls_mix if config.cls_on else None),
        way=PositionalWay(config.positional_encoding_way, config.positional_encoding is not None, config.dropout_on),
        embeddings=Embeddings(
            embed_key=kv in (KeyValueEmbedding.K, KeyValueEmbedding.KV),
            value=config.value_source,
            embed_value=kv in (KeyValueEmbedding.V, KeyValueEmbedding.KV),
        ),
        skip=Skip(config.skip_connection, config.layernorm),
        maps=AttentionMaps(config.scale, config.softmax_axis, config.balance),
        head=Head(config.classifier_on),
    )
