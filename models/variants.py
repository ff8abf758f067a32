"""Which CSTA variant a state_dict belongs to, from its keys and shapes: for error messages when
weights do not fit the variant asked for ("these keys look like ...; they fit --X Y").

The keys tell the backbone, the head, the CLS token, the embeddings, the positional encoding's
kind and shape (FPE and LPE by the table's values), the Transformer way's projection and the
normalised skip connection. They cannot tell Scale, Softmax_axis, Balance, the dropout, CLS_mix,
RPE from no encoding, an unnormalised skip connection from none, or PGL_SUM from no way: those
are taken from the variant asked for (CLS_mix changes only where the widths allow no other).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace

import torch
from torch import nn

from config import (
    Backbone,
    ClsMix,
    EncodingShape,
    EncodingWay,
    KeyValueEmbedding,
    ModelConfig,
    ModelConfigError,
    PositionalEncoding,
    SkipConnection,
    ValueSource,
)
from models.backbone import BACKBONES
from models.parts import NORM_NAMES
from models.positional import sinusoid_table

Shapes = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class KeyFacts:
    """What a state_dict's keys and shapes say about its variant."""

    backbone: Backbone
    classifier_on: bool
    cls_on: bool
    transformer_way: bool  # a Positional_encoding_embedding layer
    encodings: tuple[tuple[PositionalEncoding | None, EncodingShape | None], ...]  # (kind, shape) that fit
    key_embedding: bool
    value_embedding: bool
    normalised_skip: SkipConnection | None  # the skip connection whose BatchNorm is present

    def describe(self) -> str:
        """The facts in the reference's option names, e.g. 'ResNet backbone, Positional_encoding CPE (shape T), ...'."""
        parts = [f"{self.backbone.value} backbone"]
        if self.transformer_way:
            parts.append("Positional_encoding_way Transformer")
        kinds = sorted({spelled_option(kind) + ("" if shape is None else f" (shape {shape.value})") for kind, shape in self.encodings})
        parts.append("Positional_encoding " + " or ".join(kinds))
        parts.append(f"Classifier_on {str(self.classifier_on).lower()}")
        parts.append(f"CLS_on {str(self.cls_on).lower()}")
        if self.value_embedding:
            parts.append(f"key_value_emb {'kv' if self.key_embedding else 'v'} (an _Attention model)")
        else:
            parts.append("key_value_emb k or kv (kv only with a plain model)" if self.key_embedding else "key_value_emb None")
        if self.normalised_skip is None:
            parts.append("Layernorm false")
        else:
            parts.append(f"Skip_connection {self.normalised_skip.value} with Layernorm true")
        return ", ".join(parts)


def read_key_facts(state: Mapping[str, torch.Tensor]) -> KeyFacts | None:
    """What the keys say; None when they are not a CSTA state_dict's (no single known backbone)."""
    backbones = [spec for spec in BACKBONES.values() if any(key.startswith(spec.attribute + ".") for key in state)]
    if len(backbones) != 1:
        return None
    spec = backbones[0]
    norms = [skip for skip, name in NORM_NAMES.items() if f"{name}.weight" in state]
    return KeyFacts(
        backbone=spec.backbone,
        classifier_on="linear1.0.weight" in state,
        cls_on="CLS" in state,
        transformer_way="Positional_encoding_embedding.weight" in state,
        encodings=_encodings(state, spec.width),
        key_embedding="key_embedding.weight" in state,
        value_embedding="value_embedding.weight" in state,
        normalised_skip=norms[0] if len(norms) == 1 else None,
    )


def _encodings(state: Mapping[str, torch.Tensor], width: int) -> tuple[tuple[PositionalEncoding | None, EncodingShape | None], ...]:
    conv = state.get("Positional_encoding_op.pe.weight")
    if conv is not None:  # groups = width for shape T: one input channel per filter
        return ((PositionalEncoding.CPE, EncodingShape.T if conv.shape[1] == 1 else EncodingShape.TD),)
    table = state.get("Positional_encoding_op.pe")
    if table is None:
        return ((None, None), (PositionalEncoding.RPE, EncodingShape.TD), (PositionalEncoding.RPE, EncodingShape.T))
    if table.dim() != 2:
        return ()
    if table.shape[1] == 1:
        return ((PositionalEncoding.LPE, EncodingShape.T),)
    table = table.detach().float().cpu()
    rows = table.shape[0]
    if torch.allclose(table, sinusoid_table(0, rows, table.shape[1]), atol=1e-5):
        return ((PositionalEncoding.FPE, EncodingShape.TD),)
    if torch.allclose(table, sinusoid_table(0, rows, 1).expand(rows, table.shape[1]), atol=1e-5):
        return ((PositionalEncoding.FPE, EncodingShape.T),)
    return ((PositionalEncoding.LPE, EncodingShape.TD),)


def fitting_config(state: Mapping[str, torch.Tensor], wanted: ModelConfig) -> ModelConfig | None:
    """The variant closest to ``wanted`` whose keys and shapes are exactly the file's, or None.

    Options the keys decide are taken from them; the others stay as asked where the method allows
    it. Among several fits, the one that changes the fewest options wins.
    """
    facts = read_key_facts(state)
    if facts is None:
        return None
    shapes = {key: tuple(value.shape) for key, value in state.items()}
    fits = [cfg for cfg in _candidates(facts, wanted, shapes) if expected_shapes(cfg) == shapes]
    return min(fits, key=lambda cfg: len(changed_options(wanted, cfg)), default=None)


def _candidates(facts: KeyFacts, wanted: ModelConfig, shapes: Shapes) -> list[ModelConfig]:
    base = replace(
        wanted,
        backbone=facts.backbone,
        classifier_on=facts.classifier_on,
        cls_on=facts.cls_on,
        feature_dim=shapes.get("CLS", shapes.get("key_embedding.weight", (0, wanted.feature_dim)))[-1],
        positional_table_rows=shapes.get("Positional_encoding_op.pe", (wanted.positional_table_rows,))[0],
    )
    ways = [EncodingWay.TRANSFORMER] if facts.transformer_way else [EncodingWay.PGL_SUM, None]
    if facts.value_embedding:
        embeddings = [(KeyValueEmbedding.KV if facts.key_embedding else KeyValueEmbedding.V, ValueSource.FEATURES)]
    elif facts.key_embedding:
        embeddings = [(KeyValueEmbedding.KV, ValueSource.CNN), (KeyValueEmbedding.K, ValueSource.FEATURES), (KeyValueEmbedding.K, ValueSource.CNN)]
    else:
        embeddings = [(None, ValueSource.FEATURES), (None, ValueSource.CNN)]
    if facts.normalised_skip is not None:
        skips = [(facts.normalised_skip, True)]
    else:
        skips = [(skip, False) for skip in (wanted.skip_connection, *SkipConnection, None)]
    # CLS_mix leaves no key, but the widths may allow only some mixes
    mixes = [wanted.cls_mix or ClsMix.FINAL, *ClsMix] if facts.cls_on else [None]
    found = []
    for way, (kind, shape), (kv, source), (skip, norm), mix in itertools.product(ways, facts.encodings, embeddings, skips, mixes):
        cfg = replace(
            base, positional_encoding_way=way, positional_encoding=kind, positional_encoding_shape=shape,
            key_value_emb=kv, value_source=source, skip_connection=skip, layernorm=norm, cls_mix=mix,
            dropout_on=wanted.dropout_on and way is not None,
        )  # fmt: skip
        try:
            found.append(cfg.validate())
        except ModelConfigError:
            continue
    return found


def changed_options(wanted: ModelConfig, found: ModelConfig) -> dict[str, object]:
    """The options (reference names and spellings) whose values differ from ``wanted``'s."""
    before, after = wanted.to_options(), found.to_options()
    return {option: value for option, value in after.items() if before[option] != value}


def expected_shapes(config: ModelConfig) -> Shapes:
    """Every state_dict key of the variant with its shape, without building any real tensor."""
    from models.csta import CSTA  # models.csta imports models.parts; this module is imported by neither

    with torch.device("meta"):
        head = CSTA(nn.Module(), config).state_dict()
    prefix = BACKBONES[config.backbone].attribute + "."
    trunk = {prefix + key: shape for key, shape in _trunk_shapes(config.backbone).items()}
    return {**trunk, **{key: tuple(value.shape) for key, value in head.items()}}


@functools.cache
def _trunk_shapes(backbone: Backbone) -> Shapes:
    spec = BACKBONES[backbone]
    with torch.device("meta"):
        net = spec.builder(weights=None, **spec.random_init)
    return {key: tuple(value.shape) for key, value in net.state_dict().items()}


def explain_mismatch(state: Mapping[str, torch.Tensor], wanted: ModelConfig) -> str:
    """One or two sentences for a weights file that does not fit ``wanted``; '' when the keys say nothing."""
    facts = read_key_facts(state)
    if facts is None:
        return ""
    text = f"The file's keys look like: {facts.describe()}."
    found = fitting_config(state, wanted)
    if found is not None:
        changes = {option: value for option, value in changed_options(wanted, found).items() if option != "model_name"}
        listed = ", ".join(f"{option} {spelled_option(value)}" for option, value in changes.items())
        text += f" They fit {found.model_name}" + (f" with {listed} (the other options as asked)." if listed else ".")
    return text


def spelled_option(value: object) -> str:
    """An option's value as the reference's command line spells it ('None', 'true', 'CPE', 0.6)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return str(value).lower()
    return str(getattr(value, "value", value))
