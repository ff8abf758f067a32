"""evaluation/degenerate.py: a useless model (saturated or constant scores, held-out numbers that never
move) is named; an ordinary one is not."""

import math

import numpy as np
import pytest

from evaluation.degenerate import degenerate_findings, history_findings, score_findings


def codes(findings):
    return [finding.code for finding in findings]


def test_scores_like_the_six_clip_run_are_saturated():
    rng = np.random.default_rng(0)
    scores = [10.0 ** rng.uniform(-25, -21, size=length) for length in (20, 31, 44)]
    findings = score_findings(scores)
    assert codes(findings) == ["saturated-scores"]
    assert "saturated" in findings[0].message and "test" in findings[0].message


def test_scores_stuck_at_one_are_saturated_too():
    assert codes(score_findings([np.full(30, 1.0 - 1e-9), np.ones(12)], "validation")) == ["saturated-scores"]


def test_constant_scores_that_are_not_saturated():
    findings = score_findings([np.full(30, 0.42), np.full(12, 0.3)])
    assert codes(findings) == ["constant-scores"]


def test_non_finite_scores_are_named():
    assert codes(score_findings([np.array([0.2, math.nan, 0.4])])) == ["non-finite-scores"]


@pytest.mark.parametrize("scores", [
    [np.linspace(0.1, 0.9, 40), np.linspace(0.3, 0.5, 10)],
    [np.concatenate([np.full(90, 1e-9), np.linspace(0.2, 0.8, 10)])],  # a tenth of the steps still informative
    [np.full(5, 0.4), np.linspace(0.2, 0.6, 5)],  # one video constant, another not
    [],
])
def test_ordinary_scores_give_no_finding(scores):
    assert score_findings(scores) == []


def test_frozen_held_out_numbers_over_the_epochs():
    findings = history_findings([0.05] * 5, [0.07] * 5, [31.2] * 5)
    assert codes(findings) == ["frozen-metrics"] and "all 5 epochs" in findings[0].message
    assert codes(history_findings([math.nan] * 3, [math.nan] * 3, [20.0] * 3)) == ["frozen-metrics"]


def test_a_run_that_froze_after_its_first_epochs_is_named():
    kendall, spearman, f1 = [0.02, 0.07] + [0.1] * 8, [0.03, 0.08] + [0.098] * 8, [40.0, 12.0] + [12.0] * 8
    findings = history_findings(kendall, spearman, f1)
    assert codes(findings) == ["frozen-metrics"] and "the last 8 of 10 epochs (from epoch 3)" in findings[0].message


@pytest.mark.parametrize("kendall", [
    [0.05, 0.05, 0.06],
    [0.05],
    [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.1, 0.1, 0.1],  # the same last 3 of 10 epochs: under half the run
    [0.01, 0.02, 0.1, 0.1],  # the same last 2: fewer than FROZEN_TAIL
])
def test_moving_or_single_epoch_histories_give_no_finding(kendall):
    assert history_findings(kendall, [0.1] * len(kendall), [30.0] * len(kendall)) == []


def test_every_finding_of_a_run_together():
    findings = degenerate_findings([0.1] * 3, [0.2] * 3, [10.0] * 3, [np.zeros(8)], "validation")
    assert codes(findings) == ["frozen-metrics", "saturated-scores"]
    assert all("validation" in finding.message for finding in findings)
    assert degenerate_findings([0.1, 0.2], [0.2, 0.3], [10.0, 11.0], None) == []
    assert findings[0].as_dict() == {"code": "frozen-metrics", "message": findings[0].message}
