"""The full route's analysis pass gives the reference pipeline's features and shots, bit for bit."""

import numpy as np
import pytest
import torch

from features.analysis import analyse_video
from features.decode_ahead import DecodeAhead
from features.embedder import BackboneSource, load_frame_embedder
from features.segmentation import Segmentation
from features.shots import find_shots, model_inputs
from tests.summarize.reference import opencv_frames, reference_shots, reference_style_features

SAMPLE_RATE = 15


def test_full_route_is_the_reference_pipeline(scene_torch_home, scene_clip):
    frames = opencv_frames(scene_clip)
    expected_features = reference_style_features(frames)
    expected_shots = reference_shots(expected_features)
    np.testing.assert_array_equal(expected_shots[1:, 0], [12, 21])  # the clip's cuts: the shots compared are not trivial

    embedder = load_frame_embedder(BackboneSource.IMAGENET, torch.device("cpu"))
    embedder.match_reference_exactly(True)
    route = Segmentation.FULL
    analysis = analyse_video(scene_clip, embedder, route.embed_every, route.default_batch_size("cpu"), progress=False)

    assert analysis.n_frames == len(frames)
    np.testing.assert_array_equal(analysis.features, expected_features)
    np.testing.assert_array_equal(find_shots(analysis, route, SAMPLE_RATE), expected_shots)
    features, picks = model_inputs(analysis, SAMPLE_RATE)
    np.testing.assert_array_equal(features, expected_features[::SAMPLE_RATE])  # CSTA reads the reference's inputs
    np.testing.assert_array_equal(picks, np.arange(0, len(frames), SAMPLE_RATE))


def test_a_failing_batch_stops_the_pass_with_its_error(stand_in_torch_home, scene_clip, monkeypatch):
    embedder = load_frame_embedder(BackboneSource.IMAGENET, torch.device("cpu"))
    embedder.match_reference_exactly(True)
    threads = torch.get_num_threads()

    def broken(crops):
        raise RuntimeError("out of memory (test)")

    monkeypatch.setattr(embedder, "embed", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        analyse_video(scene_clip, embedder, 1, 4, progress=False)
    assert torch.get_num_threads() == threads


def test_frames_decoded_ahead_give_the_reference_pipeline_too(scene_torch_home, scene_clip):
    frames = opencv_frames(scene_clip)
    expected = reference_style_features(frames)
    embedder = load_frame_embedder(BackboneSource.IMAGENET, torch.device("cpu"))
    embedder.match_reference_exactly(True)
    # a ring smaller than the clip: the helper waits for slots to be given back, and reuses them
    with DecodeAhead(scene_clip, 1, embedder.crop_geometry, crop_slots=5, frame_slots=7) as ahead:
        analysis = analyse_video(scene_clip, embedder, 1, 8, progress=False, frames=ahead)
    here = analyse_video(scene_clip, embedder, 1, 8, progress=False)
    np.testing.assert_array_equal(analysis.features, expected)
    np.testing.assert_array_equal(analysis.thumbnails, here.thumbnails)
    np.testing.assert_array_equal(analysis.times, here.times)
    assert analysis.n_frames == len(frames)
