"""GoogLeNet's trunk on a batch of frames, each frame's result bit-identical to running it alone.

The reference embeds every frame in its own network call. Its features feed KTS, whose float32
sums and tie-breaking turn a difference of one rounding (~1e-8) into different shots, so the
reference route must reproduce them bit for bit; batching the frames the usual way does not (PyTorch
picks other convolution kernels for a batch, and channels-last reorders the sums).

A batch is exact here because every layer runs, on the whole batch, the kernel PyTorch runs on one
frame, and that kernel treats the frames of a batch independently:

- convolutions: for one frame PyTorch uses either oneDNN or its native im2col + GEMM (by input
  size, kernel size and thread count). oneDNN sums each output in the same order whatever the
  batch size; the native kernel loops over the frames calling the same GEMM for each.
- batch norm (eval): the same multiply-add per (frame, channel) plane.
- ReLU, max pooling and concatenation round nothing, so any implementation gives the same values.
  Max pooling is taken as maxima of shifted slices: PyTorch's NCHW max pool is the slowest op of a
  one-frame pass (a third of its time here).
- average pooling and the L2 norm run per frame, as the reference calls them.

Which convolution kernel matches is checked, not assumed. The quick way (FrameEmbedder.embed_batches):
the first batch's frames go through the network one at a time, as the reference calls them, and
PyTorch's own choice for each one-frame convolution (oneDNN or native) names the batched kernel
that runs the same code per frame; that plan's features for the same batch must then equal the
one-frame ones bit for bit. That checks the whole pass at once, not each layer: a kernel that
sums in another order changes the low bits of most of its layer's outputs, and thousands of such
changes do not all vanish through 50 more layers and 1024 features a frame. Otherwise, and for a
first call without that, every convolution and batch norm is compared bit for bit with one-frame
calls on the same input; the first batched kernel that matches is used from then on, and a layer
that none matches runs frame by frame. The check is sound because these kernels' order of
operations depends on shapes and thread count, never on the values; a different order shows on
real inputs as differing low bits.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torchvision.models import GoogLeNet
from torchvision.models.googlenet import BasicConv2d, Inception

from models.backbone import TRUNK_LAYERS

log = logging.getLogger(__name__)

Kernel = Callable[[nn.Module, torch.Tensor], torch.Tensor]


def _onednn_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.mkldnn_convolution(x, conv.weight, conv.bias, conv.padding, conv.stride, conv.dilation, conv.groups)


def _native_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    if conv.groups != 1 or conv.dilation != (1, 1):
        raise NotImplementedError("the native kernel has no groups or dilation")
    return torch.ops.aten._slow_conv2d_forward(x, conv.weight, conv.kernel_size, conv.bias, conv.stride, conv.padding)


def _norm_in_place(norm: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The eval-mode batch norm kernel writing over its input (each element is read once, then written)."""
    empty = x.new_empty(0)
    return torch.ops.aten.native_batch_norm.out(x, norm.weight, norm.bias, norm.running_mean, norm.running_var, False, 0.0,
                                                norm.eps, out=x, save_mean=empty, save_invstd=empty.clone())[0]


def _batched(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return module(x)


def _frame_by_frame(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """One-frame calls on fresh copies, as the reference makes them (its inputs are fresh, aligned tensors)."""
    return torch.cat([module(x[i:i + 1].clone()) for i in range(x.shape[0])])


@contextlib.contextmanager
def intra_op_threads(count: int) -> Iterator[None]:
    """PyTorch's intra-op thread count (for the whole process) set to ``count``, then restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _pooled_and_normalised(pool: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Each frame as the reference ends its pass: average pool of a fresh [1, 1024, 7, 7] copy, squeezed to
    [1024], over its norm + 1e-10. Per frame in any case; checked only for its thread count."""
    features = []
    for i in range(x.shape[0]):
        pooled = pool(x[i:i + 1].clone()).squeeze()
        features.append(pooled / (torch.norm(pooled) + 1e-10))
    return torch.stack(features)


# Batched candidates in order of preference; frame by frame is always exact and comes last.
CONV_KERNELS: dict[str, Kernel] = {"onednn": _onednn_conv, "native": _native_conv, "frame by frame": _frame_by_frame}
NORM_KERNELS: dict[str, Kernel] = {"in place": _norm_in_place, "batched": _batched, "frame by frame": _frame_by_frame}
TAIL_KERNELS: dict[str, Kernel] = {"this thread count": _pooled_and_normalised, "frame by frame": _pooled_and_normalised}
# PyTorch's choice for a one-frame convolution -> the batched kernel running the same code per frame.
ONE_FRAME_TWINS = {"Mkldnn": "onednn", "Slow2d": "native"}


def _twin_of_one_frame_kernel(conv: nn.Conv2d, x: torch.Tensor) -> str | None:
    """The batched kernel (a CONV_KERNELS name) running the code PyTorch picks for ``conv`` on the one
    frame ``x`` at the current thread count; None when that choice is not known or has no batched twin."""
    select = getattr(torch._C, "_select_conv_backend", None)  # PyTorch's own dispatch rule (private: may go)
    if select is None:
        return None
    try:
        backend = select(x, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, False, [0, 0], conv.groups, None)
    except (RuntimeError, TypeError):
        return None
    return ONE_FRAME_TWINS.get(getattr(backend, "name", None))


class _EveryLayerFrameByFrame(dict):
    """A plan that runs every layer frame by frame, noting the layers it was asked about, in order."""

    def __missing__(self, module: nn.Module) -> str:
        self[module] = "frame by frame"
        return "frame by frame"


def _pool_size(length: int, kernel: int, stride: int, padding: int, ceil_mode: bool) -> int:
    """Output length of a max pool, by PyTorch's rule (a ceil-mode window must start inside the input or its left padding)."""
    size = (length + 2 * padding - kernel + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (size - 1) * stride >= length + padding:
        size -= 1
    return size


def _max_along(x: torch.Tensor, dim: int, kernel: int, stride: int, padding: int, size: int) -> torch.Tensor | None:
    """out[..., o, ...] = max of x[..., o * stride - padding + j, ...] over the taps j < kernel that fall
    inside x (padding is ignored, as PyTorch's max pool ignores it). None when no tap covers every o."""
    length = x.shape[dim]
    taps = []  # (first o, last o, j) for each tap that reaches inside x
    for j in range(kernel):
        first = max(0, -((j - padding) // stride))  # ceil((padding - j) / stride)
        last = min(size - 1, (length - 1 - j + padding) // stride)
        if first <= last:
            taps.append((first, last, j))

    def source(first: int, last: int, j: int) -> torch.Tensor:
        start = first * stride - padding + j
        index = [slice(None)] * x.dim()
        index[dim] = slice(start, start + (last - first) * stride + 1, stride)
        return x[tuple(index)]

    whole = [tap for tap in taps if tap[0] == 0 and tap[1] == size - 1]
    if not whole:
        return None
    out = torch.maximum(source(*whole[0]), source(*whole[1])) if len(whole) > 1 else source(*whole[0]).clone()
    for tap in taps:
        if tap in whole[:2]:
            continue
        target = out.narrow(dim, tap[0], tap[1] - tap[0] + 1)
        torch.maximum(target, source(*tap), out=target)
    return out


def max_pool(x: torch.Tensor, pool: nn.MaxPool2d) -> torch.Tensor:
    """``pool(x)`` for NCHW ``x``, as maxima of strided slices (max rounds nothing: same values, much faster).

    Sized [N, C, H, W] in, [N, C, H', W'] out, with PyTorch's output size and window placement.
    """
    kernel, stride, padding = (pool.kernel_size, pool.stride, pool.padding)
    if not all(isinstance(v, int) for v in (kernel, stride, padding)) or pool.dilation != 1:
        return pool(x)  # square windows without dilation are all GoogLeNet has
    height, width = x.shape[2:]
    rows = _max_along(x, 3, kernel, stride, padding, _pool_size(width, kernel, stride, padding, pool.ceil_mode))
    out = None if rows is None else _max_along(rows, 2, kernel, stride, padding, _pool_size(height, kernel, stride, padding, pool.ceil_mode))
    return pool(x) if out is None else out


class ExactBatchedTrunk:
    """The GoogLeNet trunk, average pool and L2 norm on batches, equal bit for bit to one-frame passes (CPU, NCHW).

    ``net`` must be in eval mode, in the contiguous (NCHW) layout, on the CPU. The one-frame passes
    it matches are those made with ``reference_threads`` intra-op threads (PyTorch's default, the
    reference's setting, unless given): PyTorch chooses a one-frame convolution's kernel by thread
    count too. A batch may be computed with any thread count (each count is checked on its own), so
    single-threaded workers can run batches side by side.

    A call for a (batch size, thread count) without a plan is the layer-by-layer check; so is
    ``one_frame_features``, without the check (``assume_plan`` then plans from what PyTorch chose
    there, for the caller to confirm on the features). Both set PyTorch's intra-op thread count,
    which is process-wide, to ``reference_threads`` for their one-frame calls: make them while no
    other thread runs PyTorch (FrameEmbedder.embed_batches does). Calls with a plan are safe from
    several threads at once.
    """

    def __init__(self, net: GoogLeNet, reference_threads: int | None = None) -> None:
        self.net = net
        self.reference_threads = reference_threads or torch.get_num_threads()
        self.plans: dict[tuple[int, int], dict[nn.Module, str]] = {}  # (batch size, threads) -> layer -> kernel name
        self._one_frame_layers: dict[nn.Module, str] = {}  # from the last one_frame_features: layer -> its plan in assume_plan

    @torch.inference_mode()
    def __call__(self, crops: torch.Tensor) -> torch.Tensor:
        """L2-normalised features of preprocessed crops: Sized [N, 3, 224, 224] in, [N, 1024] out,
        row i equal to the reference's ``f = net(frame_i).squeeze(); f / (torch.norm(f) + 1e-10)``."""
        x = crops.contiguous()
        key = (x.shape[0], torch.get_num_threads())
        plan = self.plans.get(key)
        if plan is None:
            plan = {}
            features = self._features(x, plan, calibrating=True)
            self.plans[key] = plan
            log.debug("exact batched trunk, %d frames x %d threads: %s", *key,
                      {kind: sum(1 for v in plan.values() if v == kind) for kind in set(plan.values())})
            return features
        return self._features(x, plan, calibrating=False)

    @torch.inference_mode()
    def one_frame_features(self, crops: torch.Tensor) -> torch.Tensor:
        """The reference's features of ``crops`` (Sized [N, 3, 224, 224]): every frame alone through each
        layer at ``reference_threads``. Notes for ``assume_plan`` which batched kernel matches
        PyTorch's choice for each one-frame convolution."""
        plan = _EveryLayerFrameByFrame()
        chosen: dict[nn.Module, str | None] = {}

        def note(conv: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            if conv not in chosen:
                chosen[conv] = _twin_of_one_frame_kernel(conv, inputs[0])

        convs = [module for module in self.net.modules() if isinstance(module, nn.Conv2d)]
        hooks = [conv.register_forward_pre_hook(note) for conv in convs]
        try:
            features = self._features(crops.contiguous(), plan, calibrating=False)
        finally:
            for hook in hooks:
                hook.remove()
        self._one_frame_layers = {module: self._assumed_kernel(module, chosen) for module in plan}
        return features

    def _assumed_kernel(self, module: nn.Module, chosen: dict[nn.Module, str | None]) -> str:
        if isinstance(module, nn.Conv2d):
            return chosen.get(module) or "frame by frame"
        if isinstance(module, nn.BatchNorm2d):
            return "in place"  # the same multiply-add per element whatever the batch or thread count
        if module is self.net.avgpool:
            return "this thread count"
        return "frame by frame"

    def assume_plan(self, batch_size: int, threads: int) -> bool:
        """Plan (batch_size, threads) from the kernels PyTorch chose in the last ``one_frame_features``,
        unchecked: the caller compares its features with one-frame ones and calls ``forget_plan`` if
        they differ. False (nothing planned) when some layer would have to run frame by frame."""
        plan = dict(self._one_frame_layers)
        if not plan or "frame by frame" in plan.values():
            return False
        self.plans[(batch_size, threads)] = plan
        return True

    def forget_plan(self, batch_size: int, threads: int) -> None:
        """Drop a plan, so that the next call of that size checks every layer."""
        self.plans.pop((batch_size, threads), None)

    def has_plan(self, batch_size: int, threads: int) -> bool:
        return (batch_size, threads) in self.plans

    def _features(self, x: torch.Tensor, plan: dict[nn.Module, str], calibrating: bool) -> torch.Tensor:
        for name in TRUNK_LAYERS:
            x = self._layer(getattr(self.net, name), x, plan, calibrating)
        return self._run(self.net.avgpool, x, TAIL_KERNELS, plan, calibrating)

    def _layer(self, layer: nn.Module, x: torch.Tensor, plan: dict[nn.Module, str], calibrating: bool) -> torch.Tensor:
        if isinstance(layer, BasicConv2d):
            x = self._run(layer.conv, x, CONV_KERNELS, plan, calibrating)
            x = self._run(layer.bn, x, NORM_KERNELS, plan, calibrating)
            return torch.relu_(x)
        if isinstance(layer, nn.MaxPool2d):
            return max_pool(x, layer)
        if isinstance(layer, nn.Sequential):
            for part in layer:
                x = self._layer(part, x, plan, calibrating)
            return x
        if isinstance(layer, Inception):
            branches = (layer.branch1, layer.branch2, layer.branch3, layer.branch4)
            return torch.cat([self._layer(branch, x, plan, calibrating) for branch in branches], 1)
        return self._run(layer, x, {"frame by frame": _frame_by_frame}, plan, calibrating)  # not in torchvision's GoogLeNet

    def fully_batched(self, batch_size: int, threads: int) -> bool:
        """Whether every layer of the checked (batch_size, threads) plan runs batched: then no call
        changes the thread count, and single-threaded workers may run batches side by side."""
        return "frame by frame" not in self.plans[(batch_size, threads)].values()

    def _run(self, module: nn.Module, x: torch.Tensor, kernels: dict[str, Kernel], plan: dict[nn.Module, str],
             calibrating: bool) -> torch.Tensor:
        if not calibrating:
            name = plan[module]
            if name == "frame by frame":  # one-frame kernels are chosen by thread count: the reference's
                with intra_op_threads(self.reference_threads):
                    return kernels[name](module, x)
            return kernels[name](module, x)
        with intra_op_threads(self.reference_threads):
            alone = kernels["frame by frame"](module, x)
        for name, kernel in kernels.items():
            if name == "frame by frame":
                break
            try:
                out = kernel(module, x.clone())  # a copy: a kernel may write over its input
            except (RuntimeError, NotImplementedError, AttributeError):  # kernel missing from this PyTorch build
                continue
            if out.shape == alone.shape and torch.equal(out, alone):
                plan[module] = name
                return alone
        plan[module] = "frame by frame"
        return alone
