"""features/preprocess.py: the table lookup gives torchvision's preset values bit for bit, for every
backbone's preset and frame sizes of every aspect (odd ones included)."""

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from config import Backbone
from features.preprocess import TablePreprocess
from models.backbone import backbone_spec


@pytest.mark.parametrize("backbone", list(Backbone))
def test_the_table_gives_the_presets_values_bit_for_bit(backbone):
    preset = backbone_spec(backbone).weights.transforms()
    table = TablePreprocess(preset)
    rng = np.random.default_rng(3)
    for height, width in [(240, 320), (360, 640), (224, 224), (100, 333), (257, 255), (720, 1280)]:
        frame = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        frame[:8, :8] = [[0, 255, 128]]  # the extremes of the table, in every channel
        expected, got = preset(Image.fromarray(frame)), table(Image.fromarray(frame))
        assert got.dtype == expected.dtype == torch.float32
        assert got.shape == expected.shape and torch.equal(got, expected), (height, width)


def test_every_byte_of_every_channel_is_the_presets():
    preset = backbone_spec(Backbone.GOOGLENET).weights.transforms()
    table = TablePreprocess(preset)
    # a 224 x 224 image holding each byte in each channel: after the preset's own resize of a 256-square
    # image the values mix, so compare the arithmetic alone on a crop-sized image (no resize to undo)
    values = np.arange(224 * 224 * 3, dtype=np.int64).reshape(224, 224, 3) % 256
    image = Image.fromarray(values.astype(np.uint8))
    pixels = transforms.functional.pil_to_tensor(image)
    expected = transforms.functional.normalize(transforms.functional.convert_image_dtype(pixels, torch.float), preset.mean, preset.std)
    looked_up = torch.from_numpy(np.stack([table.table[c][np.asarray(image)[:, :, c]] for c in range(3)]))
    assert torch.equal(looked_up, expected)


def test_only_the_image_classification_preset_is_reproduced():
    with pytest.raises(TypeError, match="ImageClassification"):
        TablePreprocess(transforms.Compose([transforms.ToTensor()]))
