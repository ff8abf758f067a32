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

from config import FRAME_SAMPLE_RATE
from summarize.plan import VIDEO_EXTENSIONS  # torch- and numpy-free

# torchvision's ImageNet statistics (the IMAGENET1K_V1 transforms use the same numbers)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Preprocess(enum.Enum):
    CENTER_CROP = "center-crop"  # short side to 256, centre crop 224: torchvision's, generate_video's and the reference's
    RESIZE = "resize"  # the whole frame squeezed to 224 x 224 (aspect ratio not kept)

    @property
    def description(self) -> str:
        if self is Preprocess.CENTER_CROP:
            return "resize the short side to 256, centre-crop 224 x 224, ImageNet mean/std"
        return "resize to 224 x 224 (aspect ratio not kept), ImageNet mean/std"


def frame_transform(choice: Preprocess) -> Callable:
    """A PIL image -> normalised tensor Sized [3, 224, 224] (imports torchvision: call it once the embedder loads)."""
    from torchvision import transforms
    from torchvision.models import GoogLeNet_Weights

    if choice is Preprocess.CENTER_CROP:
        return GoogLeNet_Weights.IMAGENET1K_V1.transforms()  # what the frame embedder uses by default
    return transforms.Compose([
        transforms.Resize((224, 224), interpolation=transforms.InterpolationMode.BILINEAR, antialias=True),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


class Route(enum.Enum):
    """How shots are found (summarize.segmentation.Segmentation's values; a test keeps them equal)."""

    FAST = "fast"  # KTS on the sampled features, boundaries refined at full frame rate
    FULL = "full"  # the reference route: KTS on the features of every frame


@dataclass(frozen=True)
class BuildConfig:
    """One build: what goes in, what comes out, how features and shots are made."""

    inputs: tuple[Path, ...]  # video files and folders of videos
    out: Path
    labels: Path | None = None
    stride: int = FRAME_SAMPLE_RATE  # frames between picks (15: 2 per second at 30 fps)
    preprocess: Preprocess = Preprocess.CENTER_CROP
    route: Route = Route.FAST
    extensions: tuple[str, ...] = VIDEO_EXTENSIONS
    require_labels: bool = False  # a video without labels, or labels without a video, is an error
    overwrite: bool = False  # replace an existing output (and parts made with other settings)
    device: str | None = None
    batch_size: int | None = None
    backbone_weights: Path | None = None  # a local copy of torchvision's ImageNet GoogLeNet file
    random_backbone: bool = False  # tests and demos only; the file says so
    progress: bool = True
