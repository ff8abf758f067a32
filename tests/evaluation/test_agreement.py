import numpy as np
import pytest

from config import F1Reduction
from evaluation.agreement import kendall_tau_b, leave_one_out_f1, pairwise_rank_agreement
from evaluation.metrics import rank_correlation


def test_kendall_from_the_contingency_table_equals_scipy_on_ranks():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(2, 50))
        x = rng.integers(0, rng.integers(1, 6), n).astype(float)
        y = rng.random(n) if rng.random() < 0.3 else rng.integers(0, rng.integers(1, 8), n).astype(float)
        expected = rank_correlation(x, y)[0]
        got = kendall_tau_b(x, y)
        assert (np.isnan(expected) and np.isnan(got)) or got == pytest.approx(expected, abs=1e-12)


def test_kendall_by_hand():
    assert kendall_tau_b([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    # 0/1 data: tau-b is the phi coefficient; here n11=1, n00=1, n10=1, n01=1 -> 0
    assert kendall_tau_b([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.0)
    assert np.isnan(kendall_tau_b([2, 2, 2], [1, 2, 3]))


def test_pairwise_agreement_averages_each_pair_once():
    rows = np.array([[1, 2, 3], [1, 2, 3], [3, 2, 1]])  # pairs: +1, -1, -1
    tau, rho = pairwise_rank_agreement(rows)
    assert tau == pytest.approx(-1 / 3) and rho == pytest.approx(-1 / 3)


def test_pairwise_spearman_equals_scipy_with_ties():
    rng = np.random.default_rng(1)
    rows = rng.integers(1, 6, (4, 40)).astype(float)
    pairs = [rank_correlation(rows[i], rows[j]) for i in range(4) for j in range(i + 1, 4)]
    tau, rho = pairwise_rank_agreement(rows)
    assert tau == pytest.approx(np.mean([t for t, _ in pairs]))
    assert rho == pytest.approx(np.mean([r for _, r in pairs]))


def test_agreement_needs_two_people():
    with pytest.raises(ValueError, match="at least two"):
        pairwise_rank_agreement(np.ones((1, 5)))
    with pytest.raises(ValueError, match="at least two"):
        leave_one_out_f1(np.ones((1, 5)), F1Reduction.MAX)


def test_leave_one_out_f1_by_hand():
    users = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]])
    # MAX: users 0 and 1 match each other exactly (100), user 2 matches nobody (0)
    assert leave_one_out_f1(users, F1Reduction.MAX) == pytest.approx(200 / 3)
    # MEAN: users 0 and 1 score mean(100, 0) = 50, user 2 scores 0
    assert leave_one_out_f1(users, F1Reduction.MEAN) == pytest.approx(100 / 3)
