"""A clip with two hard cuts that KTS finds with a stand-in backbone, and that backbone."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision.models import GoogLeNet_Weights, googlenet

from models.backbone import TRUNK_LAYERS, imagenet_weights_path
from models.stand_in import write_stand_in_imagenet_weights

SIZE = (160, 96)  # width, height
SCENE_FRAMES = (12, 9, 12)  # cuts at frames 12 and 21


def scene_looks() -> list[np.ndarray]:
    """Three static pictures: a colour gradient, a checkerboard, stripes. Each Sized [96, 160, 3], uint8."""
    width, height = SIZE
    y, x = np.mgrid[0:height, 0:width]
    looks = [
        np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 60)], -1),
        np.where(((y // 16 + x // 16) % 2)[..., None] == 1, [20, 20, 200], [240, 240, 240]),
        np.where((x // 10 % 2)[..., None] == 1, [250, 200, 0], [30, 90, 30]),
    ]
    return [look.astype(np.uint8) for look in looks]


@pytest.fixture
def scene_clip(tmp_path) -> Path:
    """33 frames, three static scenes, written directly with PyAV (no project code)."""
    path = tmp_path / "scenes.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        for look, frames in zip(scene_looks(), SCENE_FRAMES, strict=True):
            for _ in range(frames):
                container.mux(stream.encode(av.VideoFrame.from_ndarray(look, format="rgb24")))
        container.mux(stream.encode(None))
    return path


@pytest.fixture
def scene_torch_home(stand_in_torch_home) -> Path:
    """The stand-in ImageNet file with its batch-norm statistics taken from the three looks.

    With PyTorch's default statistics every picture gets nearly the same random feature (cosine
    similarity ~0.98), and KTS's penalty keeps a short clip in one shot; normalised this way the
    looks differ (cosine 0.6-0.85) and KTS cuts where the scenes change.
    """
    write_stand_in_imagenet_weights()
    path = imagenet_weights_path()
    net = googlenet(weights=None, aux_logits=True, init_weights=False)
    net.load_state_dict(torch.load(path, weights_only=True))
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = 1.0  # running statistics := this batch's
    transform = GoogLeNet_Weights.IMAGENET1K_V1.transforms()
    x = torch.stack([transform(Image.fromarray(look)) for look in scene_looks()])
    net.train()
    with torch.no_grad():
        for name in TRUNK_LAYERS:
            x = getattr(net, name)(x)
    torch.save(net.state_dict(), path)
    return stand_in_torch_home
