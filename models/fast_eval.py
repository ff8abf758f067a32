"""A faster, eval-only copy of a CSTA model: the same scores to within 2e-5 (FAST_SCORING_BOUND), not bit for bit.

In eval mode every batch normalisation of the CNN trunk is a fixed affine map per channel right
after a convolution, so it can be folded into that convolution's weights and bias once, instead
of being applied to every activation of every video (the trunk runs on a T x 1024 "image", so
those activations are large). The folded copy also keeps its convolution weights in channels-last
memory layout, which the CPU convolution kernels (oneDNN) prefer; the model's input is turned
into the same layout by the first convolution. Folding changes the order of floating-point
operations, hence the last bits of the scores: ``ScoringRoute.EXACT`` (engine/evaluate/model_scores.py) keeps
the model as it is, bit-identical to the reference implementation.

On a CPU the copy's large linear layers run as 1x1 convolutions (``PointwiseLinear``): oneDNN's
convolution kernel multiplies CSTA's matrices (hundreds of rows x 1024 x 1024) about twice as fast
as the BLAS matrix product torch.nn.Linear calls (bench/bench_evaluation_speed.py prints both).

The original model is never modified: ``fold_for_inference`` works on a copy with its own tensors,
to be made again whenever the weights change (after each training epoch; it takes milliseconds).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

# The largest |fast - exact| score difference the fast route promises, over every CSTA variant.
# bench/bench_fast_scoring_bound.py measured at most 5.0e-6 over the 38 variants of grids/paper_ablation.json
# (random weights, batch norms far from the identity, videos of 20-400 steps, one thread; 6.8e-6 with two
# threads on the first variants) and under 5e-7 on trained weights; issue 25 saw 1.04e-5 once on trained skip-connection-off weights, so 1e-5 was not a bound: 2e-5
# covers every figure seen with a margin. tests/models/test_fast_eval.py checks it on every variant.
FAST_SCORING_BOUND = 2e-5

# The attribute pairs torchvision's networks apply in sequence: a convolution, then its batch norm
# (GoogLeNet's BasicConv2d: conv/bn; ResNet's stem and blocks: conv1/bn1, conv2/bn2, conv3/bn3).
CONV_NORM_PAIRS = (("conv", "bn"), ("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"))


def fold_batch_norms(net: nn.Module) -> int:
    """Fold, in place, every BatchNorm2d that directly follows a Conv2d into it (eval mode only).

    Covers the four backbones: attribute pairs (CONV_NORM_PAIRS) and consecutive entries of an
    nn.Sequential (EfficientNet's and MobileNet's Conv2dNormActivation, ResNet's downsample).
    Returns the number of folded norms.
    """
    if net.training:
        raise ValueError("batch norms can be folded only in eval mode (training uses batch statistics)")
    folded = 0
    for module in list(net.modules()):
        for conv_name, norm_name in CONV_NORM_PAIRS:
            conv, norm = getattr(module, conv_name, None), getattr(module, norm_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(conv, norm))
                setattr(module, norm_name, nn.Identity())
                folded += 1
        if isinstance(module, nn.Sequential):
            children = list(module.named_children())
            for (conv_name, conv), (norm_name, norm) in zip(children, children[1:], strict=False):
                if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                    module._modules[conv_name] = fuse_conv_bn_eval(conv, norm)
                    module._modules[norm_name] = nn.Identity()
                    folded += 1
    return folded


class ChannelSharedLinear(nn.Module):
    """A linear layer applied to CSTA's input stack, computed once for the rows its channels share.

    CSTA's input is three copies of the features, so the key embedding's rows are the same in
    every channel except the CLS row (learnt per channel): the reference multiplies all three
    copies, this computes the shared rows once and only the differing rows per channel. Which rows
    differ is checked on the input, never assumed, so any stack gives the plain layer's result
    (to the rounding of a matrix product of another shape).
    """

    def __init__(self, linear: nn.Module) -> None:  # nn.Linear or PointwiseLinear
        super().__init__()
        self.linear = linear

    def forward(self, stack: torch.Tensor) -> torch.Tensor:
        """stack: Sized [1, C, R, F]; returns Sized [1, C, R, out_features]."""
        if stack.dim() != 4 or stack.shape[0] != 1:
            return self.linear(stack)
        channels = stack[0]
        differing = (channels[1:] != channels[:1]).any(dim=-1).any(dim=0).nonzero()[:, 0]  # rows, Sized [k]
        out = self.linear(channels[0]).expand(channels.shape[0], -1, -1).clone()
        if differing.numel():
            out[1:, differing] = self.linear(channels[1:, differing])
        return out[None]


class PointwiseLinear(nn.Module):
    """A linear layer computed as a 1x1 convolution over its rows (same weights, same result to
    float32 rounding): on a CPU, oneDNN's convolution is faster than the BLAS product for these shapes."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        weight = linear.weight.detach().reshape(self.out_features, self.in_features, 1, 1)
        self.weight = nn.Parameter(weight.contiguous(memory_format=torch.channels_last), requires_grad=False)
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: Sized [..., in_features]; returns Sized [..., out_features]."""
        rows = x.reshape(1, -1, 1, self.in_features)  # [1, N, 1, F]: a channels-last [1, F, N, 1] image
        out = F.conv2d(rows.permute(0, 3, 1, 2), self.weight, self.bias)  # [1, out, N, 1], channels-last
        return out.permute(0, 2, 3, 1).reshape(*x.shape[:-1], self.out_features)


# Linear layers smaller than this (in x out) stay torch.nn.Linear: the head's 1024 -> 1 gains nothing.
_POINTWISE_MIN_SIZE = 64 * 64


def use_pointwise_linears(net: nn.Module) -> None:
    """Replace, in place, every large nn.Linear of ``net`` by a PointwiseLinear."""
    for module in list(net.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Linear) and child.in_features * child.out_features >= _POINTWISE_MIN_SIZE:
                module._modules[name] = PointwiseLinear(child)


def frozen_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with its own parameter and buffer tensors, not requiring gradients.

    copy.deepcopy does the same through Python's generic object copying, which takes tens of
    milliseconds on a CSTA (hundreds of thousands of small objects); this copies only the module
    tree and the tensors.
    """
    clone = copy.copy(model)
    clone._parameters = {name: None if p is None else nn.Parameter(p.detach().clone(), requires_grad=False)
                         for name, p in model._parameters.items()}
    clone._buffers = {name: None if b is None else b.detach().clone() for name, b in model._buffers.items()}
    clone._modules = {name: None if child is None else frozen_copy(child) for name, child in model._modules.items()}
    return clone


def fold_for_inference(model: nn.Module, channels_last: bool = True, pointwise_linears: bool = True) -> nn.Module:
    """An eval-mode copy of a model with its CNN trunk's batch norms folded (the model is untouched).

    Models without a trunk (PGL-SUM, CA-SUM: attention over given features) have no batch norm to
    fold; their copy differs only in being frozen, and scoring it runs under inference mode.

    Args:
        channels_last: also store the trunk's convolution weights in channels-last layout.
        pointwise_linears: on a CPU, run a CNN model's large linear layers as 1x1 convolutions (PointwiseLinear).
    """
    fast = frozen_copy(model).eval()
    trunk = getattr(fast, "trunk", None)
    # only beside a trunk: the copies of PGL-SUM and CA-SUM stay bit-identical to their exact route
    if pointwise_linears and trunk is not None and all(parameter.device.type == "cpu" for parameter in fast.parameters()):
        use_pointwise_linears(fast)
    if getattr(fast, "key_embedding", None) is not None:  # a linear layer (PointwiseLinear on a CPU)
        fast.key_embedding = ChannelSharedLinear(fast.key_embedding)
    if trunk is not None:
        fold_batch_norms(trunk)
        if channels_last:
            trunk.to(memory_format=torch.channels_last)
    return fast
