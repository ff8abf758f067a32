import itertools

import numpy as np
import pytest

from evaluation.knapsack import knapsack


def brute_force_best(capacity, weights, values):
    best = 0.0
    for mask in itertools.product([0, 1], repeat=len(weights)):
        if sum(w for w, m in zip(weights, mask, strict=True) if m) <= capacity:
            best = max(best, sum(v for v, m in zip(values, mask, strict=True) if m))
    return best


@pytest.mark.parametrize("seed", range(200))
def test_optimum_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    weights = rng.integers(1, 15, n).tolist()
    values = rng.random(n).tolist()
    capacity = int(rng.integers(0, 40))
    chosen = knapsack(capacity, weights, values)
    assert chosen == sorted(set(chosen))
    assert sum(weights[i] for i in chosen) <= capacity
    assert sum(values[i] for i in chosen) == pytest.approx(brute_force_best(capacity, weights, values))


def test_zero_budget_takes_nothing():
    assert knapsack(0, [1, 2], [0.9, 0.8]) == []


def test_item_longer_than_budget_is_never_taken():
    assert knapsack(10, [11, 3, 20], [5.0, 0.1, 9.0]) == [1]
    assert knapsack(10, [11], [5.0]) == []


def test_ties_go_to_earlier_items_as_in_the_reference():
    # Walking back from the last item, an item is taken only when it strictly raises the best value.
    assert knapsack(1, [1, 1], [1.0, 1.0]) == [0]
    assert knapsack(2, [1, 1, 2], [1.0, 1.0, 2.0]) == [0, 1]
    assert knapsack(2, [2, 1, 1], [2.0, 1.0, 1.0]) == [0]
    assert knapsack(3, [1, 2, 3], [0.5, 0.5, 1.0]) == [0, 1]


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        knapsack(-1, [1], [1.0])
    with pytest.raises(ValueError):
        knapsack(3, [0], [1.0])
    with pytest.raises(ValueError):
        knapsack(3, [1, 2], [1.0])
