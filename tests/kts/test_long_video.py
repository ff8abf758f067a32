import numpy as np
import pytest

from kts import KTSInputError, change_points_to_shots, cpd_auto, detect_change_points


def planted_video(n_frames, shot_lengths_range, seed, noise=0.5):
    """Features of a video with hard cuts: a base vector per shot plus per-frame noise."""
    rng = np.random.default_rng(seed)
    cuts, position = [], 0
    while True:
        position += int(rng.integers(*shot_lengths_range))
        if position >= n_frames:
            break
        cuts.append(position)
    shots = np.abs(rng.standard_normal((len(cuts) + 1, 256)))
    x = np.repeat(shots, np.diff([0, *cuts, n_frames]), axis=0) + noise * np.abs(rng.standard_normal((n_frames, 256)))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return x, np.array(cuts)


def test_exact_mode_is_the_reference_call():
    x, _ = planted_video(400, (20, 80), seed=1)
    expected, _ = cpd_auto(x @ x.T, 399, 1)
    np.testing.assert_array_equal(detect_change_points(x, mode="exact"), expected)
    np.testing.assert_array_equal(detect_change_points(x), expected)  # auto: short videos go exact


def test_exact_kernel_rounds_as_the_references_two_copy_product(monkeypatch):
    """The reference multiplies two separate arrays (general BLAS product); X @ X.T of one buffer
    goes to the symmetric routine, which rounds some entries differently."""
    import kts.long_video

    seen = []
    real = kts.long_video.auto_change_points
    monkeypatch.setattr(kts.long_video, "auto_change_points", lambda kernel, *a, **k: (seen.append(kernel.copy()), real(kernel, *a, **k))[1])
    x = np.random.default_rng(0).standard_normal((300, 1024)).astype(np.float32)
    detect_change_points(x, mode="exact")
    np.testing.assert_array_equal(seen[0], np.matmul(x.copy(), x.copy().T))


def test_fast_mode_finds_hard_cuts_at_full_frame_rate():
    x, cuts = planted_video(6000, (60, 300), seed=2)
    found = detect_change_points(x, mode="fast", coarse_frames=500)  # every 12th frame, then refined
    np.testing.assert_array_equal(found, cuts)


def test_fast_mode_agrees_with_exact_where_both_run():
    x, _ = planted_video(1500, (30, 150), seed=3, noise=0.8)
    exact = detect_change_points(x, mode="exact")
    fast = detect_change_points(x, mode="fast", coarse_frames=300)
    assert abs(len(fast) - len(exact)) <= 1
    distances = np.abs(fast[:, None] - exact[None, :]).min(axis=1)
    assert np.median(distances) == 0 and distances.max() <= 5


@pytest.mark.parametrize("n", [1, 2, 3])
def test_very_short_inputs(n):
    x = np.random.default_rng(0).standard_normal((n, 8)).astype(np.float32)
    for mode in ("exact", "fast"):
        points = detect_change_points(x, mode=mode)
        assert points.ndim == 1 and len(points) <= n - 1


def test_shots_cover_the_video():
    shots = change_points_to_shots(np.array([3, 10]), 15)
    np.testing.assert_array_equal(shots, [[0, 2], [3, 9], [10, 14]])
    np.testing.assert_array_equal(change_points_to_shots(np.array([], int), 5), [[0, 4]])


@pytest.mark.parametrize("features, message", [
    (np.zeros((0, 4)), "empty"),
    (np.zeros(5), "2-D"),
    (np.array([[0.0, np.inf]]), "NaN or infinite"),
])
def test_bad_features(features, message):
    with pytest.raises(KTSInputError, match=message):
        detect_change_points(features)


def test_bad_parameters():
    x = np.ones((4, 2), np.float32)
    with pytest.raises(KTSInputError, match="at most 3 change points"):
        detect_change_points(x, max_change_points=9)
    with pytest.raises(KTSInputError, match="mode"):
        detect_change_points(x, mode="quick")


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_lmin_holds_on_both_routes(mode):
    """The issue's case: 3,000 frames, lmin 40; the fast route's refinement used to leave 34 frames."""
    x, _ = planted_video(3000, (20, 200), seed=4)
    points = detect_change_points(x, lmin=40, mode=mode)
    assert len(points) > 5
    assert np.diff(np.concatenate([[0], points, [3000]])).min() >= 40


@pytest.mark.parametrize("seed", range(12))
def test_random_limits_hold_on_both_routes(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(300, 1500))
    x, _ = planted_video(n, (10, 120), seed=100 + seed, noise=float(rng.choice([0.3, 1.0])))
    lmin = int(rng.integers(1, 30))
    lmax = int(rng.integers(lmin + 40, 400))
    for mode in ("exact", "fast"):
        points = detect_change_points(x, lmin=lmin, lmax=lmax, mode=mode, coarse_frames=int(rng.integers(60, 200)))
        lengths = np.diff(np.concatenate([[0], points, [n]]))
        assert lengths.min() >= lmin and lengths.max() <= lmax, mode


@pytest.mark.parametrize("mode", ["exact", "fast"])
def test_a_count_that_cannot_fit_is_the_same_error_on_both_routes(mode):
    x, _ = planted_video(3000, (60, 300), seed=5)
    with pytest.raises(KTSInputError, match="3000 frames cannot be cut by 99 change points into segments of 40..100000 frames"):
        detect_change_points(x, max_change_points=99, lmin=40, mode=mode)
    with pytest.raises(KTSInputError, match="at least 29 are needed"):
        detect_change_points(x, max_change_points=5, lmax=100, mode=mode)


def test_default_count_is_all_that_fit():
    x, cuts = planted_video(3000, (60, 300), seed=6)
    for mode in ("exact", "fast"):  # lmin 20: up to 149 change points considered, on both routes
        np.testing.assert_array_equal(detect_change_points(x, lmin=20, mode=mode, coarse_frames=500), cuts)


def test_too_coarse_for_the_limits():
    x, _ = planted_video(3000, (60, 300), seed=7)
    with pytest.raises(KTSInputError, match="one frame in 3 of 3000 frames, too coarse for segments of 40..41 frames"):
        detect_change_points(x, lmin=40, lmax=41, mode="fast")
