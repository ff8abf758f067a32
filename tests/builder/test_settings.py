import numpy as np
import torch
from PIL import Image

from builder.settings import Preprocess, frame_transform


def test_the_two_preprocessing_conventions():
    frame = Image.fromarray(np.random.default_rng(0).integers(0, 256, (90, 160, 3), dtype=np.uint8))
    crop, squash = frame_transform(Preprocess.CENTER_CROP)(frame), frame_transform(Preprocess.RESIZE)(frame)
    assert crop.shape == squash.shape == (3, 224, 224)
    assert not torch.allclose(crop, squash)  # the crop drops the sides of a wide frame; the resize keeps them
    wide = np.zeros((90, 160, 3), np.uint8)
    wide[:, :20] = 255  # a white band at the left edge
    assert frame_transform(Preprocess.RESIZE)(Image.fromarray(wide))[0, :, :5].mean() > 1
    assert frame_transform(Preprocess.CENTER_CROP)(Image.fromarray(wide))[0, :, :5].mean() < 0
