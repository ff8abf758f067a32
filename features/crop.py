"""The resize and centre crop of torchvision's ImageNet presets, on PIL images, without torch.

torchvision's ``ImageClassification`` preset resizes a PIL image so that its shorter side has
``resize_size`` pixels (the longer side truncated to an integer), then crops ``crop_size`` pixels
from the centre (offsets rounded half to even, as Python's ``round``). This module makes the same
two calls to PIL with the same numbers, so its crops are those pixels bit for bit
(tests/features/test_crop.py compares them with torchvision's own functions), and it imports
neither torch nor torchvision: a helper process that decodes a video while the main process is
still importing them (features.decode_ahead) crops frames with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class CropGeometry:
    """Resize the shorter side to ``resize`` pixels with PIL's ``resample`` filter, then take the
    centre ``crop`` x ``crop`` pixels."""

    resize: int
    crop: int
    resample: int  # a PIL filter, e.g. Image.Resampling.BILINEAR

    def __post_init__(self) -> None:
        if not 0 < self.crop <= self.resize:
            raise ValueError(f"a centre crop of {self.crop} pixels needs a resize to at least that many, got {self.resize}")

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) after the resize: the shorter side ``resize``, the longer one scaled and truncated."""
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = self.resize, int(self.resize * long / short)
        return (new_short, new_long) if width <= height else (new_long, new_short)

    def __call__(self, image: Image.Image) -> np.ndarray:
        """The crop of an RGB image. Returns Sized [crop, crop, 3], uint8."""
        size = self.resized_size(*image.size)
        if size != image.size:
            image = image.resize(size, self.resample)
        width, height = image.size
        top, left = int(round((height - self.crop) / 2.0)), int(round((width - self.crop) / 2.0))
        pixels = np.asarray(image.crop((left, top, left + self.crop, top + self.crop)))
        if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
            raise ValueError(f"expected an 8-bit RGB image, got an array of shape {pixels.shape} ({pixels.dtype})")
        return pixels


# GoogLeNet_Weights.IMAGENET1K_V1's preset (resize 256, crop 224, bilinear), known before torchvision
# is imported; tests/features/test_crop.py checks it against the preset (features.preprocess.geometry_of).
GOOGLENET_CROP = CropGeometry(resize=256, crop=224, resample=Image.Resampling.BILINEAR)
