"""features/crop.py: torchvision's resize and centre crop without torch (the pixels themselves are
compared with the presets' in test_preprocess.py, through TablePreprocess, which crops with it)."""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from config import Backbone
from features.crop import GOOGLENET_CROP, CropGeometry
from features.preprocess import geometry_of
from models.backbone import backbone_spec

ROOT = Path(__file__).resolve().parents[2]


def test_the_googlenet_crop_known_without_torchvision_is_its_presets():
    assert geometry_of(backbone_spec(Backbone.GOOGLENET).weights.transforms()) == GOOGLENET_CROP


@pytest.mark.parametrize(("size", "resized"), [((320, 240), (341, 256)), ((240, 320), (256, 341)), ((256, 256), (256, 256)),
                                               ((1280, 720), (455, 256)), ((333, 100), (852, 256))])
def test_the_shorter_side_is_resized_and_the_longer_truncated(size, resized):
    assert GOOGLENET_CROP.resized_size(*size) == resized
    assert GOOGLENET_CROP(Image.new("RGB", size)).shape == (224, 224, 3)


def test_a_crop_larger_than_the_resize_is_refused():
    with pytest.raises(ValueError, match="at least"):
        CropGeometry(resize=200, crop=224, resample=Image.Resampling.BILINEAR)


def test_the_decoding_side_imports_no_torch():
    # generate_video starts decoding before torch is imported, in a process that never imports it
    code = ("import sys, features.crop, features.frames, features.decode_ahead, features.analysis, features.shots; "
            "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"
