"""torchvision's ImageNet preprocessing of a frame, its per-pixel arithmetic read from a table.

The backbones' preset (torchvision.transforms._presets.ImageClassification) resizes and crops a
PIL image, then turns every byte v of channel c into ((v / 255) - mean[c]) / std[c] in float32.
That last part is a function of (c, v) alone: element-wise operations, each rounded the same way
wherever the element sits. So its 3 x 256 possible results are computed once, by the preset's own
functions, and every frame looks them up: the same values bit for bit (tests/features), in about a
fifth of the preset's time per 320x240 frame (the full route embeds every frame of a video).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import functional as F
from torchvision.transforms._presets import ImageClassification


class TablePreprocess:
    """A drop-in for an ImageClassification preset called on a PIL RGB image.

    Returns:
        Sized [3, crop, crop], float32: what ``preset(image)`` returns, bit for bit.
    """

    def __init__(self, preset: ImageClassification) -> None:
        if not isinstance(preset, ImageClassification):
            raise TypeError(f"TablePreprocess reproduces torchvision's ImageClassification preset, not {type(preset).__name__}")
        self.preset = preset
        every_byte = torch.arange(256, dtype=torch.uint8).expand(3, 1, 256).contiguous()  # an image whose rows hold 0..255
        values = F.normalize(F.convert_image_dtype(every_byte, torch.float), mean=preset.mean, std=preset.std)
        self.table = values[:, 0, :].numpy().copy()  # [channel, byte]

    def __call__(self, image: Image.Image) -> torch.Tensor:
        preset = self.preset
        image = F.resize(image, preset.resize_size, interpolation=preset.interpolation, antialias=preset.antialias)
        pixels = np.asarray(F.center_crop(image, preset.crop_size))  # [H, W, 3] uint8
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError(f"expected an 8-bit RGB image, got an array of shape {pixels.shape} ({pixels.dtype})")
        out = np.empty((3, *pixels.shape[:2]), dtype=np.float32)
        for channel in range(3):
            np.take(self.table[channel], pixels[:, :, channel], out=out[channel])
        return torch.from_numpy(out)
