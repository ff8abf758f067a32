"""VideoXum's V2V protocol on hand-computed examples, and against the textbook formulas."""

import itertools

import numpy as np
import pytest

from evaluation.v2v import V2VVideoMetrics, evaluate_video_v2v, human_v2v, mean_v2v, nan_as_zero, top_share_selection


def brute_tau_b(x, y):
    """Kendall's tau-b from its definition: (concordant - discordant) / sqrt((n0 - n1)(n0 - n2))."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    pairs = list(itertools.combinations(range(len(x)), 2))
    s = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in pairs)
    ties_x = sum(x[i] == x[j] for i, j in pairs)
    ties_y = sum(y[i] == y[j] for i, j in pairs)
    denominator = np.sqrt((len(pairs) - ties_x) * (len(pairs) - ties_y))
    return s / denominator if denominator else float("nan")


def average_ranks(x):
    x = np.asarray(x, float)
    return np.array([(x < v).sum() + ((x == v).sum() + 1) / 2 for v in x])


def textbook_rho(x, y):
    """Spearman's rho: Pearson's r of the average ranks."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = np.sqrt((rx**2).sum() * (ry**2).sum())
    return (rx * ry).sum() / denominator if denominator else float("nan")


@pytest.mark.parametrize(("scores", "kept"), [
    (np.arange(10, 0, -1), [0, 1]),  # k = int(1.5) = 1: the 2nd largest is the threshold, so 2 frames
    ([5, 4, 4, 4, 1, 1, 1, 1, 1, 1], [0, 1, 2, 3]),  # ties at the threshold are all kept
    ([0.1, 0.3, 0.2, 0.3, 0.0, 0.1], [1, 3]),  # k = int(0.9) = 0: the maximum and its ties
    (np.arange(20), [16, 17, 18, 19]),  # 20 x 0.15 = 3.0, k = 3: four frames
    ([7.0], [0]),
])
def test_top_share_selection_keeps_k_plus_one_frames_and_ties(scores, kept):
    assert np.flatnonzero(top_share_selection(np.asarray(scores, float))).tolist() == kept


def test_f1_per_annotator_then_min_max_mean():
    scores = np.arange(10, 0, -1, dtype=float)  # keeps frames 0 and 1
    onehot = np.zeros((3, 10), np.uint8)
    onehot[0, [0, 1, 2]] = 1  # TP 2, FP 0, FN 1: F1 = 4 / 5
    onehot[1, 5] = 1  # TP 0: F1 = 0
    onehot[2, 1] = 1  # TP 1, FP 1, FN 0: F1 = 2 / 3
    metrics = evaluate_video_v2v(scores, onehot, "v")
    assert metrics.f1_min == pytest.approx(0.0)
    assert metrics.f1_max == pytest.approx(80.0)
    assert metrics.f1_mean == pytest.approx((80 + 0 + 200 / 3) / 3)


def test_correlations_target_the_annotators_mean_and_each_annotator():
    rng = np.random.default_rng(3)
    scores = rng.random(12)
    onehot = (rng.random((4, 12)) < 0.3).astype(np.uint8)
    onehot[0] = 0  # an empty summary: its correlations are NaN, counted as 0
    metrics = evaluate_video_v2v(scores, onehot)
    mean = onehot.mean(axis=0)
    assert metrics.kendall == pytest.approx(brute_tau_b(scores, mean))
    assert metrics.spearman == pytest.approx(textbook_rho(scores, mean))
    taus = [nan_as_zero(brute_tau_b(scores, row)) for row in onehot]
    rhos = [nan_as_zero(textbook_rho(scores, row)) for row in onehot]
    assert taus[0] == 0 and rhos[0] == 0
    assert (metrics.kendall_each_min, metrics.kendall_each_max, metrics.kendall_each_mean) == pytest.approx((min(taus), max(taus), np.mean(taus)))
    assert (metrics.spearman_each_min, metrics.spearman_each_max, metrics.spearman_each_mean) == pytest.approx((min(rhos), max(rhos), np.mean(rhos)))


def test_constant_scores_give_zero_correlations_not_nan():
    onehot = np.array([[1, 0, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0, 1]])
    metrics = evaluate_video_v2v(np.full(7, 0.5), onehot)
    assert metrics.kendall == 0 and metrics.spearman == 0 and metrics.kendall_each_max == 0
    assert metrics.f1_max == pytest.approx(2 * 2 / 9 * 100)  # every frame kept: P = 2/7, R = 1, F1 = 4/9


def test_human_row_is_leave_one_out():
    onehot = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1]])
    human = human_v2v(onehot, "v")
    # F1 A-B = B-A = 2/3 (TP 1, FP or FN 1); every pair with C is 0.
    assert human.f1_min == pytest.approx(0.0)
    assert human.f1_max == pytest.approx((200 / 3 + 200 / 3 + 0) / 3)
    assert human.f1_mean == pytest.approx((100 / 3 + 100 / 3 + 0) / 3)
    rest = [onehot[[1, 2]].mean(0), onehot[[0, 2]].mean(0), onehot[[0, 1]].mean(0)]
    assert np.ptp(rest[1]) == 0  # B against A and C's mean, which is 0.5 everywhere: NaN, counted as 0
    assert human.kendall == pytest.approx(np.mean([nan_as_zero(brute_tau_b(onehot[u], rest[u])) for u in range(3)]))
    assert human.spearman == pytest.approx(np.mean([nan_as_zero(textbook_rho(onehot[u], rest[u])) for u in range(3)]))
    pair = {(u, v): brute_tau_b(onehot[u], onehot[v]) for u in range(3) for v in range(3) if u != v}
    assert human.kendall_each_max == pytest.approx(np.mean([max(pair[u, v] for v in range(3) if v != u) for u in range(3)]))
    assert human.spearman_each_min == pytest.approx(np.mean([min(textbook_rho(onehot[u], onehot[v]) for v in range(3) if v != u) for u in range(3)]))


def test_human_row_with_two_annotators_and_an_empty_one():
    human = human_v2v(np.array([[0, 0, 0, 0], [0, 1, 1, 0]]))
    assert human.kendall == 0 and human.spearman_each_mean == 0 and human.f1_max == 0
    with pytest.raises(ValueError, match="two annotators"):
        human_v2v(np.array([[0, 1]]))


def test_mean_over_videos_and_shape_checks():
    a = V2VVideoMetrics("a", *range(11))
    b = V2VVideoMetrics("b", *range(2, 13))
    means = mean_v2v([a, b])
    assert means.n_videos == 2 and means.f1_min == 1 and means.spearman_each_mean == 11
    with pytest.raises(ValueError):
        mean_v2v([])
    with pytest.raises(ValueError, match="vsum_onehot has shape"):
        evaluate_video_v2v(np.zeros(5), np.zeros((10, 6)), "v")


def test_the_knapsack_protocol_over_one_frame_shots_keeps_the_top_int_15_percent():
    """The CSTA-style second protocol on a VideoXum record (dataset.videoxum: one shot per 1 fps frame)."""
    from dataset.videoxum import VideoXumAnnotation, video_record
    from evaluation.summary import generate_summary

    onehot = np.zeros((10, 20), np.uint8)
    onehot[:, 3:6] = 1
    record = video_record(VideoXumAnnotation("v", 20.0, 20, onehot), np.zeros((20, 4), np.float32), "v")
    scores = np.linspace(0, 1, 20)
    summary = generate_summary(scores, record.change_points, record.n_frames, record.picks)
    assert np.flatnonzero(summary).tolist() == [17, 18, 19]  # int(20 x 0.15) = 3 frames, no extra one
    assert np.flatnonzero(top_share_selection(scores)).tolist() == [16, 17, 18, 19]  # VideoXum's rule: one more


def test_published_rows_name_their_source():
    from evaluation.v2v import PUBLISHED_V2V

    assert {row.method for row in PUBLISHED_V2V} == {"VTSUM-BLIP + TT", "VTSUM-BLIP + TT + CA"}
    assert all("jylins/videoxum" in row.source for row in PUBLISHED_V2V)
