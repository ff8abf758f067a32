"""How much a group of people agree: mean pairwise rank correlation and leave-one-out F1.

The human baseline of Otani et al. (CVPR 2019) correlates every annotator with every other one.
Annotations take few distinct values (TVSum scores 1..5, SumMe 0/1), so Kendall's tau-b is counted
exactly from each pair's contingency table instead of from all n^2 frame pairs; the result equals
``evaluation.metrics.rank_correlation`` (tests check it) at a fraction of the cost.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.stats import rankdata

from config import F1Reduction
from evaluation.metrics import f_score, rank_correlation

# Beyond this many cells the contingency table costs more than scipy's O(n log n) algorithm.
_MAX_TABLE_CELLS = 1_000_000


def _dense_ranks(row: np.ndarray) -> tuple[np.ndarray, int]:
    values, codes = np.unique(row, return_inverse=True)
    return codes.reshape(-1), len(values)


def _tied_pairs(counts: np.ndarray) -> float:
    return float((counts * (counts - 1)).sum() / 2)


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b of two sequences (NaN when either is constant), from their contingency table.

    Args:
        x: Sized [n].
        y: Sized [n].
    """
    x_codes, n_x = _dense_ranks(np.asarray(x))
    y_codes, n_y = _dense_ranks(np.asarray(y))
    if n_x * n_y > _MAX_TABLE_CELLS:
        return rank_correlation(x, y)[0]
    table = np.bincount(x_codes * n_y + y_codes, minlength=n_x * n_y).reshape(n_x, n_y).astype(np.float64)
    # above[i, j]: pairs with a larger x value and a larger (resp. smaller) y value than cell (i, j)
    suffix = table[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
    larger_both = np.zeros_like(table)
    larger_both[:-1, :-1] = suffix[1:, 1:]
    prefix_y = table[::-1, :].cumsum(axis=0)[::-1, :].cumsum(axis=1)
    larger_x_smaller_y = np.zeros_like(table)
    larger_x_smaller_y[:-1, 1:] = prefix_y[1:, :-1]
    concordant = float((table * larger_both).sum())
    discordant = float((table * larger_x_smaller_y).sum())
    n = len(x_codes)
    total = n * (n - 1) / 2
    denominator = np.sqrt((total - _tied_pairs(table.sum(axis=1))) * (total - _tied_pairs(table.sum(axis=0))))
    return float((concordant - discordant) / denominator) if denominator > 0 else float("nan")


def _spearman_matrix(rows: np.ndarray) -> np.ndarray:
    """Spearman's rho of every pair of rows: Pearson's r of the ranks (ties averaged)."""
    ranks = rankdata(rows, axis=1)
    centred = ranks - ranks.mean(axis=1, keepdims=True)
    norms = np.sqrt((centred**2).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (centred @ centred.T) / np.outer(norms, norms)


def pairwise_rank_agreement(rows: np.ndarray) -> tuple[float, float]:
    """Mean Kendall tau-b and mean Spearman rho over every pair of rows (each unordered pair once).

    Both coefficients are symmetric, so the i < j pairs give the same means as all ordered pairs.
    A pair with a constant row gives NaN and makes the mean NaN, as for a model's scores.

    Args:
        rows: Sized [n_people, n], one person's scores per row; n_people >= 2.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[0] < 2:
        raise ValueError(f"agreement needs at least two people's scores, got shape {rows.shape}")
    pairs = list(itertools.combinations(range(rows.shape[0]), 2))
    taus = [kendall_tau_b(rows[i], rows[j]) for i, j in pairs]
    rho_matrix = _spearman_matrix(rows)
    rhos = [rho_matrix[i, j] for i, j in pairs]
    return float(np.mean(taus)), float(np.mean(rhos))


def leave_one_out_f1(user_summary: np.ndarray, reduction: F1Reduction) -> float:
    """Each user's summary scored against all the other users' by the dataset's F1 rule; mean over users.

    Args:
        user_summary: Sized [n_users, n_frames], 0/1; n_users >= 2.
    """
    user_summary = np.asarray(user_summary)
    if user_summary.ndim != 2 or user_summary.shape[0] < 2:
        raise ValueError(f"human F1 needs at least two users' summaries, got shape {user_summary.shape}")
    others = np.ones(user_summary.shape[0], dtype=bool)
    scores = []
    for user in range(user_summary.shape[0]):
        others[:] = True
        others[user] = False
        scores.append(f_score(user_summary[user], user_summary[others], reduction))
    return float(np.mean(scores))
