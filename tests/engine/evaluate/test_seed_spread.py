import pytest

from engine.evaluate.seed_spread import seeds_table, spread_over_seeds
from evaluation.protocol import MeanMetrics


def test_mean_and_sample_std_over_seeds():
    spread = spread_over_seeds("SumMe", {1: MeanMetrics(10, 0.1, 0.2), 2: MeanMetrics(20, 0.3, 0.4), 3: MeanMetrics(30, 0.2, 0.3)})
    assert spread.seeds == (1, 2, 3)
    assert spread.mean == MeanMetrics(pytest.approx(20), pytest.approx(0.2), pytest.approx(0.3))
    assert spread.std == MeanMetrics(pytest.approx(10), pytest.approx(0.1), pytest.approx(0.1))  # ddof = 1
    assert "20.00 ± 10.00" in seeds_table([spread]) and "0.200 ± 0.100" in seeds_table([spread])


def test_one_seed_has_no_spread_and_none_is_an_error():
    assert spread_over_seeds("TVSum", {5: MeanMetrics(1, 0.5, 0.5)}).std == MeanMetrics(0, 0, 0)
    with pytest.raises(ValueError, match="no runs"):
        spread_over_seeds("TVSum", {})
