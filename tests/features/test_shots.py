import numpy as np

from features.analysis import FrameAnalysis
from features.segmentation import Segmentation
from features.shots import find_shots, model_inputs

CUTS = [47, 170, 233, 351]  # shot starts, deliberately not multiples of 15
N_FRAMES = 420


def planted(rng, n, cuts, dim, noise):
    bases = np.abs(rng.standard_normal((len(cuts) + 1, dim)))
    x = np.repeat(bases, np.diff([0, *cuts, n]), axis=0) + noise * np.abs(rng.standard_normal((n, dim)))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def analysis(embed_every):
    rng = np.random.default_rng(0)
    every_frame = planted(rng, N_FRAMES, CUTS, 64, 0.3)
    thumbnails = np.repeat(rng.integers(0, 256, (len(CUTS) + 1, 288)), np.diff([0, *CUTS, N_FRAMES]), axis=0)
    thumbnails = np.clip(thumbnails + rng.integers(-3, 4, thumbnails.shape), 0, 255).astype(np.uint8)
    return FrameAnalysis(N_FRAMES, every_frame[::embed_every], embed_every, thumbnails, np.arange(N_FRAMES) / 30.0)


def test_fast_route_places_cuts_at_full_frame_rate():
    shots = find_shots(analysis(15), Segmentation.FAST, 15)
    np.testing.assert_array_equal(shots[1:, 0], CUTS)
    assert shots[0, 0] == 0 and shots[-1, 1] == N_FRAMES - 1


def test_full_route_finds_the_same_cuts_from_every_frame():
    shots = find_shots(analysis(1), Segmentation.FULL, 15)
    np.testing.assert_array_equal(shots[1:, 0], CUTS)


def test_model_reads_every_fifteenth_frame_in_both_routes():
    fast_features, fast_picks = model_inputs(analysis(15), 15)
    full_features, full_picks = model_inputs(analysis(1), 15)
    np.testing.assert_array_equal(fast_picks, np.arange(0, N_FRAMES, 15))
    np.testing.assert_array_equal(full_picks, fast_picks)
    np.testing.assert_array_equal(full_features, fast_features)
