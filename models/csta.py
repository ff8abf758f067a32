"""CSTA: CNN-based spatiotemporal attention for video summarization (Son et al., CVPR 2024).

One class for every variant of the reference implementation (its options: see config.ModelConfig)
and every backbone. The layers a variant has are created once, under the reference's attribute
names (``Positional_encoding_op``, ``layernorm1`` for a BatchNorm, ...), because the state_dict
keys must match its checkpoints one for one; what the variant does with them is decided once too,
as the parts in models/parts.py.

The released configuration (the defaults), step by step: the T x 1024 features, copied into three
channels with a learnt CLS row on top, are key-embedded and run through GoogLeNet as an image; the
key is added back and batch-normalised, the fixed sine table added; softmax over time and over
features (dropout on both in training) weigh the value-embedded features, the two products are
summed, the CLS row is averaged into step 0, and a small regression head scores each step.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from config import (
    EncodingWay,
    KeyValueEmbedding,
    ModelConfig,
    PositionalEncoding,
    ValueSource,
)
from models.backbone import BackboneInit, backbone_spec, build_backbone, run_trunk
from models.parts import NORM_NAMES, plan_parts
from models.positional import (
    ConditionalPositionalEncoding,
    FixedPositionalEncoding,
    LearnablePositionalEncoding,
    RelativePositionalEncoding,
)


class CSTA(nn.Module):
    """Scores every step of a video from its frame features.

    The T x F feature matrix, copied into three channels, is treated as an image: a CNN run over the
    key-embedded image yields an attention map with one row per step, whose softmax maps weigh the
    (value-embedded) features before a small regression head.
    """

    def __init__(self, trunk: nn.Module, config: ModelConfig | None = None) -> None:
        super().__init__()
        config = (config or ModelConfig()).validate()
        self.config = config
        self.spec = backbone_spec(config.backbone)
        self.parts = plan_parts(config)
        features, width = config.feature_dim, self.spec.width
        self.add_module(self.spec.attribute, trunk)  # "googlenet", "resnet", ...: the keys' prefix

        if config.positional_encoding is not None:
            self.Positional_encoding_op = _positional_encoding(config, width)
        if config.positional_encoding_way is EncodingWay.TRANSFORMER:
            self.Positional_encoding_embedding = nn.Linear(width, width)
        if config.dropout_on:
            self.dropout = nn.Dropout(p=config.dropout_ratio)
        if config.classifier_on:
            self.linear1 = nn.Sequential(
                nn.Linear(width, width),
                nn.ReLU(),
                nn.Dropout(p=config.head_dropout),
                nn.LayerNorm(width, eps=config.head_layernorm_eps),
            )
            self.linear2 = nn.Sequential(nn.Linear(width, 1), nn.Sigmoid())
        else:
            self.gap = nn.AdaptiveAvgPool1d(1)
        if config.cls_on:
            self.CLS = nn.Parameter(torch.zeros(1, 3, 1, features))
        if config.key_value_emb in (KeyValueEmbedding.K, KeyValueEmbedding.KV):
            self.key_embedding = nn.Linear(features, width)
        if config.value_source is ValueSource.FEATURES and config.key_value_emb is KeyValueEmbedding.KV:
            self.value_embedding = nn.Linear(features, width)
        elif config.value_source is ValueSource.FEATURES and config.key_value_emb is KeyValueEmbedding.V:
            self.value_embedding = nn.Linear(width, width)  # the reference's in_features (runs on the map's width)
        if config.layernorm:
            self.add_module(NORM_NAMES[config.skip_connection], nn.BatchNorm2d(num_features=1))
        if config.classifier_on:
            for linear in (self.linear1[0], self.linear2[0]):
                nn.init.xavier_uniform_(linear.weight, gain=math.sqrt(2.0))
                nn.init.constant_(linear.bias, 0.1)

    @property
    def trunk(self) -> nn.Module:
        """The attention CNN (torchvision's network, stored under the reference's attribute name)."""
        return getattr(self, self.spec.attribute)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """features: Sized [T, F] (F = 1024). Returns one score per step, Sized [T] (in (0, 1) with the
        regression head). R below is T + 1 with a CLS row, T without; D is the CNN's width."""
        cls, way, embeddings, skip, maps, head = self.parts
        n_steps, width = features.shape[0], self.spec.width
        image = way.project(self, features.expand(1, 3, n_steps, -1))  # [1, 3, T, F]: three copies, an image
        image = way.on_input(self, cls.stack(self, image))  # [1, 3, R, F]: the CLS row on top
        key = embeddings.key(self, image)  # [1, 3, R, D]
        attention = skip.after_cnn(self, run_trunk(self.trunk, key), key)  # [R, D]: the CNN's attention map
        attention, image = cls.after_cnn(attention, image, n_steps)
        attention = way.on_attention(self, maps.scaled(attention))  # + the positional encoding (PGL-SUM way)

        weights = way.on_maps(self, cls.on_maps(maps.softmax(attention), n_steps, width))  # softmax over T and/or D
        inputs = image[0, 0]  # one channel of the input stack: the features, not the key
        value = cls.on_value(embeddings.values(self, inputs, attention), n_steps, width)
        mixed = skip.after_weighting(self, maps.weigh(value, weights, attention), attention, inputs, n_steps)
        return head(self, cls.at_end(mixed, n_steps))  # [T]; pooling R = T+1 rows to T averages neighbours


def _positional_encoding(config: ModelConfig, width: int) -> nn.Module:
    shape = config.positional_encoding_shape
    kind = config.positional_encoding
    if kind is PositionalEncoding.FPE:
        return FixedPositionalEncoding(config.positional_table_rows, width, shape)
    if kind is PositionalEncoding.RPE:
        return RelativePositionalEncoding(width, shape)
    if kind is PositionalEncoding.LPE:
        return LearnablePositionalEncoding(config.positional_table_rows, width, shape)
    return ConditionalPositionalEncoding(width, shape)


@torch.no_grad()
def predict_scores(model: nn.Module, features: torch.Tensor) -> np.ndarray:
    """Step scores of one video in eval mode. features: Sized [T, 1024]; returns Sized [T] float32."""
    was_training = model.training
    model.eval()
    try:
        return model(features).float().cpu().numpy()
    finally:
        model.train(was_training)


def build_csta(backbone_init: BackboneInit, config: ModelConfig | None = None) -> CSTA:
    """A fresh CSTA of the configured variant, its CNN initialised as asked.

    The configuration is validated first (ModelConfigError before anything is built). Use
    BackboneInit.RANDOM before loading a full CSTA checkpoint: every trunk tensor is then
    overwritten, so no ImageNet file is needed.
    """
    config = (config or ModelConfig()).validate()
    return CSTA(build_backbone(backbone_spec(config.backbone), backbone_init), config)
