"""Batch-norm statistics measured on simple pictures, so that a random network's features tell
scenes apart: what makes the offline stand-in backbone useful for the demo and the tests.

A randomly initialised network with BatchNorm's default statistics (mean 0, variance 1) lets the
activations drift towards one shared direction layer after layer; after the final pooling and L2
normalisation every frame's feature is nearly the same vector, and shot segmentation finds no cut.
Measuring each BatchNorm's mean and variance on a batch of coloured pictures (data-dependent
initialisation) recentres every layer, and the features of differently coloured scenes separate.
This is for stand-ins only: real ImageNet weights carry their own statistics.
"""

from __future__ import annotations

import torch
from torch import nn

# ImageNet's channel statistics, as torchvision's preprocessing applies them
_MEAN = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
_STD = torch.tensor([0.229, 0.224, 0.225])[:, None, None]


def coloured_pictures(count: int, seed: int, size: int = 224) -> torch.Tensor:
    """Flat random colours with a few random rectangles each, preprocessed as ImageNet inputs.

    Returns:
        Sized [count, 3, size, size], float32.
    """
    generator = torch.Generator().manual_seed(seed)
    pictures = torch.rand(count, 3, 1, 1, generator=generator).expand(count, 3, size, size).clone()
    for picture in pictures:
        for _ in range(3):
            x, y, extent = torch.randint(0, size - size // 10, (3,), generator=generator).tolist()
            side = extent // 2 + size // 20
            picture[:, y:y + side, x:x + side] = torch.rand(3, 1, 1, generator=generator)
    return (pictures - _MEAN) / _STD


@torch.no_grad()
def calibrate_batch_norm(net: nn.Module, pictures: torch.Tensor, batch_size: int = 32) -> nn.Module:
    """Replace every BatchNorm's running statistics by their mean over ``pictures``; returns ``net`` in eval mode."""
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over the batches instead of an exponential one
    net.train()
    for batch in pictures.split(batch_size):
        net(batch)
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    return net.eval()
