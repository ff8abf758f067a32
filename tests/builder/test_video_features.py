import numpy as np
import pytest
import torch

from builder.errors import BuildError
from builder.video_features import extract_video
from features.embedder import FrameEmbedder
from features.segmentation import Segmentation
from models.backbone import BackboneOrigin, seeded_random_googlenet
from video.synthetic import write_demo_video


@pytest.fixture(scope="module")
def embedder():
    return FrameEmbedder(seeded_random_googlenet(0), torch.device("cpu"), BackboneOrigin.RANDOM)


def test_one_video_s_features_picks_shots_and_times(tmp_path, embedder):
    clip = tmp_path / "clip.mp4"
    write_demo_video(clip, scenes=2, seconds_per_scene=[1.0, 1.2], fps=29.97, size=(96, 64), audio=False)
    part = extract_video(clip, embedder, 15, Segmentation.FAST, progress=False)
    assert part.source == "clip.mp4" and part.n_frames == 66 and part.fps == pytest.approx(29.97)
    np.testing.assert_array_equal(part.picks, np.arange(0, 66, 15))
    assert part.features.shape == (5, 1024) and part.features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(part.features, axis=1), 1, rtol=1e-5)  # L2-normalised, as the eccv16 features
    assert part.change_points[0, 0] == 0 and part.change_points[-1, 1] == 65
    np.testing.assert_allclose(part.times, np.arange(66) / 29.97, atol=1e-3)
    assert set(part.seconds) == {"decode_embed", "kts"}


def test_a_video_shorter_than_one_step(tmp_path, embedder):
    clip = tmp_path / "tiny.mp4"
    write_demo_video(clip, scenes=1, seconds_per_scene=0.2, fps=30, size=(64, 64), audio=False)
    with pytest.raises(BuildError, match="only 6 frame"):
        extract_video(clip, embedder, 15, Segmentation.FAST, progress=False)


@pytest.mark.parametrize("route", [Segmentation.FAST, Segmentation.FULL])
def test_the_resize_convention_embeds_the_whole_frame_squeezed(tmp_path, route):
    from PIL import Image

    from builder.settings import Preprocess, frame_transform
    from features.frames import sampled_frames

    clip = tmp_path / "clip.mp4"
    write_demo_video(clip, scenes=2, seconds_per_scene=[1.0, 1.2], fps=30, size=(96, 64), audio=False)
    squeezing = FrameEmbedder(seeded_random_googlenet(0), torch.device("cpu"), BackboneOrigin.RANDOM)
    squeezing.transform = frame_transform(Preprocess.RESIZE)  # what builder/run.py does for --preprocess resize
    assert squeezing.crop_geometry is None
    part = extract_video(clip, squeezing, 15, route, progress=False)
    every = 1 if route is Segmentation.FULL else 15
    expected = squeezing.embed([squeezing.transform(Image.fromarray(rgb)) for _, rgb, _ in sampled_frames(clip, every) if rgb is not None])
    np.testing.assert_allclose(part.features, expected[::15 // every], atol=1e-6)
