import math
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.means import MeanOver, mean_over
from evaluation.protocol import VideoMetrics

ROOT = Path(__file__).resolve().parents[2]


def test_the_two_means_worked_by_hand():
    by_split = {1: [VideoMetrics("v1", 60.0, 0.1, 0.2), VideoMetrics("v2", 40.0, 0.3, 0.4)], 2: [VideoMetrics("v3", 20.0, -0.2, 0.0)]}
    splits, videos = mean_over(MeanOver.SPLITS, by_split), mean_over(MeanOver.VIDEOS, by_split)
    assert (splits.f1, splits.kendall, splits.spearman) == pytest.approx((35.0, 0.0, 0.15))  # (50 + 20) / 2, ...
    assert (videos.f1, videos.kendall, videos.spearman) == pytest.approx((40.0, 0.2 / 3, 0.2))  # (60 + 40 + 20) / 3, ...


def test_a_nan_video_makes_both_means_nan_as_the_reference_does():
    by_split = {1: [VideoMetrics("v1", 50.0, math.nan, 0.1)], 2: [VideoMetrics("v2", 50.0, 0.2, 0.3)]}
    assert math.isnan(mean_over(MeanOver.SPLITS, by_split).kendall) and math.isnan(mean_over(MeanOver.VIDEOS, by_split).kendall)


def test_the_wording_says_which_mean_and_the_flag_for_the_other():
    assert MeanOver.SPLITS.describe(5, 40) == ("mean over 5 split(s) of each split's mean over its test videos (40 in all); "
                                               "--mean videos gives the mean over videos")
    assert MeanOver.VIDEOS.describe(None, 6) == "mean over the 6 test video(s); --mean splits gives the mean over splits"


def test_the_rule_loads_neither_numpy_nor_scipy():  # an argparse choice: --help answers before numpy loads
    code = "import sys, evaluation.means; print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() == "[]"
