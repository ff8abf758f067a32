"""torchvision's ImageNet preprocessing of a frame, its per-pixel arithmetic read from a table.

The backbones' preset (torchvision.transforms._presets.ImageClassification) resizes and crops a
PIL image (features.crop does the same, torch-free), then turns every byte v of channel c into
((v / 255) - mean[c]) / std[c] in float32. That last part is a function of (c, v) alone:
element-wise operations, each rounded the same way wherever the element sits. So its 3 x 256
possible results are computed once, by the preset's own functions, and every frame looks them up:
the same values bit for bit (tests/features), in about a fifth of the preset's time per 320x240
frame (the full route embeds every frame of a video).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import functional as F
from torchvision.transforms._presets import ImageClassification

from features.crop import CropGeometry


def geometry_of(preset: ImageClassification) -> CropGeometry:
    """The preset's resize and centre crop as a CropGeometry.

    Raises:
        ValueError: a preset that resizes to a fixed height and width, or crops a rectangle.
    """
    if len(preset.resize_size) != 1 or len(preset.crop_size) != 1:
        raise ValueError(f"expected a shorter-side resize and a square crop, got {preset.resize_size} and {preset.crop_size}")
    return CropGeometry(preset.resize_size[0], preset.crop_size[0], F.pil_modes_mapping[preset.interpolation])


class TablePreprocess:
    """A drop-in for an ImageClassification preset called on a PIL RGB image.

    Returns:
        Sized [3, crop, crop], float32: what ``preset(image)`` returns, bit for bit.
    """

    def __init__(self, preset: ImageClassification) -> None:
        if not isinstance(preset, ImageClassification):
            raise TypeError(f"TablePreprocess reproduces torchvision's ImageClassification preset, not {type(preset).__name__}")
        self.preset = preset
        self.geometry = geometry_of(preset)
        every_byte = torch.arange(256, dtype=torch.uint8).expand(3, 1, 256).contiguous()  # an image whose rows hold 0..255
        values = F.normalize(F.convert_image_dtype(every_byte, torch.float), mean=preset.mean, std=preset.std)
        self.table = values[:, 0, :].numpy().copy()  # [channel, byte]

    def __call__(self, image: Image.Image) -> torch.Tensor:
        return self.normalise(self.geometry(image))

    def normalise(self, pixels: np.ndarray) -> torch.Tensor:
        """A crop made by ``self.geometry`` (Sized [crop, crop, 3], uint8) -> Sized [3, crop, crop], float32."""
        out = np.empty((3, *pixels.shape[:2]), dtype=np.float32)
        for channel in range(3):
            np.take(self.table[channel], pixels[:, :, channel], out=out[channel])
        return torch.from_numpy(out)
