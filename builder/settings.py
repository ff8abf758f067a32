"""How a build makes its features and shots (standard library only: the command line reads it before torch).

Preprocessing: the two conventions of the field, before the CNN.

The choice alone moves SumMe F1 by about 5 points (CA-SUM issue 2), so the builder states which
one made a file's features (a root attribute) and refuses to mix them in one build.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from config import FRAME_SAMPLE_RATE, Backbone
from features.segmentation import Segmentation  # standard library only
from utils.paths import VIDEO_EXTENSIONS  # standard library only


class Preprocess(enum.Enum):
    CENTER_CROP = "center-crop"  # short side to 256, centre crop 224: torchvision's, generate_video's and the reference's
    RESIZE = "resize"  # the whole frame squeezed to 224 x 224 (aspect ratio not kept)

    @property
    def description(self) -> str:
        """In words (GoogLeNet's numbers; EfficientNet-B0's ImageNet preset resizes bicubically)."""
        if self is Preprocess.CENTER_CROP:
            return "resize the short side to 256, centre-crop 224 x 224, ImageNet mean/std"
        return "resize to 224 x 224 (aspect ratio not kept), ImageNet mean/std"


def frame_transform(choice: Preprocess, weights: object = None) -> Callable:
    """A PIL image -> normalised tensor Sized [3, 224, 224] (imports torchvision: call it once the embedder loads).

    weights: the backbone's torchvision ImageNet weights (``BackboneSpec.weights``; default GoogLeNet's),
    whose preset gives the sizes, the interpolation and the mean/std: centre-crop is that preset as it
    is (what the frame embedder uses by default), resize keeps all but the crop.
    """
    from torchvision import transforms
    from torchvision.models import GoogLeNet_Weights

    from features.preprocess import TablePreprocess

    preset = (weights or GoogLeNet_Weights.IMAGENET1K_V1).transforms()
    if choice is Preprocess.CENTER_CROP:
        return TablePreprocess(preset)  # the preset's values, bit for bit, faster
    side = preset.crop_size[0]
    return transforms.Compose([
        transforms.Resize((side, side), interpolation=preset.interpolation, antialias=True),
        transforms.ToTensor(),
        transforms.Normalize(preset.mean, preset.std),
    ])


SPLIT_FLAG = "--split-long-shots"  # build_dataset.py's way forward for clips whose every shot outlasts the budget (builder.shots)


@dataclass(frozen=True)
class BuildConfig:
    """One build: what goes in, what comes out, how features and shots are made."""

    inputs: tuple[Path, ...]  # video files and folders of videos
    out: Path
    labels: Path | None = None
    stride: int = FRAME_SAMPLE_RATE  # frames between picks (15: 2 per second at 30 fps)
    preprocess: Preprocess = Preprocess.CENTER_CROP
    route: Segmentation = Segmentation.FAST  # how shots are found, as generate_video finds them
    extensions: tuple[str, ...] = VIDEO_EXTENSIONS
    require_labels: bool = False  # a video without labels, or labels without a video, is an error
    overwrite: bool = False  # replace an existing output (and parts made with other settings)
    split_long_shots: bool = False  # keep a video whose every shot is longer than the summary budget, its shots cut to fit
    device: str | None = None
    batch_size: int | None = None
    backbone: Backbone = Backbone.GOOGLENET  # the frame CNN: GoogLeNet pool5 (1024-d), the eccv16 files' features
    backbone_weights: Path | None = None  # a local copy of torchvision's ImageNet file of that backbone
    random_backbone: bool = False  # tests and demos only; the file says so
    progress: bool = True
    ray: bool = False  # the videos on Ray workers (builder.ray_build): a local Ray, or the cluster below / in RAY_ADDRESS
    ray_address: str | None = None
    ray_workers: int | None = None  # None: one per GPU when GPUs are used, else one per N CPUs (N: torch's threads here)


def report_path(out: Path) -> Path:
    """``my.h5`` -> ``my.build.json``: what was built, left out and resolved."""
    return out.with_name(out.stem + ".build.json")
