"""CSTA: CNN-based spatiotemporal attention for video summarization (Son et al., CVPR 2024).

The released configuration only (reference section 3). Attribute names are those of the released
checkpoints (``Positional_encoding_op``, ``layernorm1`` for a BatchNorm, ...), because the
state_dict keys must match them one for one.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import GoogLeNet

from config import ModelConfig
from models.backbone import BackboneInit, build_googlenet, run_trunk
from models.positional import FixedPositionalEncoding


class CSTA(nn.Module):
    """Scores every step of a video from its frame features.

    The T x 1024 feature matrix, copied into three channels, is treated as an image: a GoogLeNet
    run over the key-embedded image yields an attention map with one row per step, softmaxed over
    time and over features, which weighs the value-embedded features before a small regression head.
    """

    def __init__(self, googlenet: GoogLeNet, config: ModelConfig | None = None) -> None:
        super().__init__()
        config = config or ModelConfig()
        dim = config.feature_dim
        self.config = config
        self.googlenet = googlenet
        self.Positional_encoding_op = FixedPositionalEncoding(config.positional_table_rows, dim)
        self.dropout = nn.Dropout(p=config.attention_dropout)
        self.linear1 = nn.Sequential(
            nn.Linear(dim, dim),
            nn.ReLU(),
            nn.Dropout(p=config.head_dropout),
            nn.LayerNorm(dim, eps=config.head_layernorm_eps),
        )
        self.linear2 = nn.Sequential(nn.Linear(dim, 1), nn.Sigmoid())
        self.CLS = nn.Parameter(torch.zeros(1, 3, 1, dim))
        self.key_embedding = nn.Linear(dim, dim)
        self.value_embedding = nn.Linear(dim, dim)
        self.layernorm1 = nn.BatchNorm2d(num_features=1)  # "KC" skip connection's normalisation
        for linear in (self.linear1[0], self.linear2[0]):
            nn.init.xavier_uniform_(linear.weight, gain=math.sqrt(2.0))
            nn.init.constant_(linear.bias, 0.1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """features: Sized [T, 1024]. Returns step scores in (0, 1), Sized [T]."""
        n_steps, dim = features.shape
        image = features.expand(1, 3, n_steps, dim)
        image = torch.cat((self.CLS, image), dim=2)  # [1, 3, T+1, D]; CLS rows differ per channel
        key = self.key_embedding(image)

        attention = run_trunk(self.googlenet, key)  # [T+1, D]
        attention = attention + key[0, 0]
        attention = self.layernorm1(attention[None, None])[0, 0]
        attention = self.Positional_encoding_op(attention)

        over_time = self.dropout(F.softmax(attention, dim=0))
        over_features = self.dropout(F.softmax(attention, dim=1))
        value = self.value_embedding(image[0, 0])  # the input features, not the key
        mixed = value * over_time + value * over_features  # [T+1, D]

        # Pooling T+1 rows to T averages each pair of neighbours, folding the CLS row into step 0.
        mixed = F.adaptive_avg_pool2d(mixed[None], (n_steps, dim))[0]
        return self.linear2(self.linear1(mixed)).squeeze(-1)


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
    """A fresh CSTA whose GoogLeNet trunk is initialised as asked.

    Use BackboneInit.RANDOM before loading a full CSTA checkpoint: every trunk tensor is then
    overwritten, so no ImageNet file is needed.
    """
    return CSTA(build_googlenet(backbone_init), config)
