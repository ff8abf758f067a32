"""F-score and rank correlations, one video at a time (reference section 5)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import ConstantInputWarning, kendalltau, rankdata, spearmanr

from config import F1Reduction


def f_score(machine_summary: np.ndarray, user_summary: np.ndarray, reduction: F1Reduction) -> float:
    """F-measure in percent of a 0/1 summary against every user's, reduced over users.

    The shorter of the two summaries is padded with zeros. Per user: precision = overlap / machine
    length, recall = overlap / user length, F = 2PR / (P + R), and 0 when P + R = 0 (including an
    empty machine or user summary, where the formula would divide by zero).

    Args:
        machine_summary: Sized [n_frames], 0/1.
        user_summary: Sized [n_users, n_frames_u], 0/1.
    """
    user_summary = np.atleast_2d(np.asarray(user_summary) > 0)
    length = max(len(machine_summary), user_summary.shape[1])
    machine = np.zeros(length, dtype=bool)
    machine[:len(machine_summary)] = np.asarray(machine_summary) > 0
    users = np.zeros((user_summary.shape[0], length), dtype=bool)
    users[:, :user_summary.shape[1]] = user_summary
    overlap = (users & machine).sum(axis=1).astype(np.float64)
    machine_total = machine.sum()
    user_totals = users.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(machine_total > 0, overlap / max(machine_total, 1), 0.0)
        recall = np.where(user_totals > 0, overlap / np.maximum(user_totals, 1), 0.0)
        scores = np.where(precision + recall > 0, 2 * precision * recall * 100 / (precision + recall), 0.0)
    reducer = np.max if reduction is F1Reduction.MAX else np.mean
    return float(reducer(scores))


def rank_correlation(prediction: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(Kendall tau-b, Spearman rho) between two sequences; NaN where either is constant.

    Kendall's tau is taken on ranks with ties averaged, as CSTA computes it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        tau = kendalltau(rankdata(prediction), rankdata(target))[0]
        rho = spearmanr(prediction, target)[0]
    return float(tau), float(rho)
