import itertools

import numpy as np
import pytest

from evaluation.knapsack import knapsack


def reference_rule(capacity, weights, values):
    """The reference implementation's knapsack written out plainly: the full table of best values
    (row i: items 0..i-1, column w: capacity w), then the walk from the last item back, taking
    item i-1 wherever its row differs from the row above at the capacity left. Python floats."""
    n = len(weights)
    table = [[0.0] * (capacity + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for w in range(1, capacity + 1):
            if weights[i - 1] <= w:
                table[i][w] = max(values[i - 1] + table[i - 1][w - weights[i - 1]], table[i - 1][w])
            else:
                table[i][w] = table[i - 1][w]
    chosen = []
    w = capacity
    for i in range(n, 0, -1):
        if table[i][w] != table[i - 1][w]:
            chosen.insert(0, i - 1)
            w -= weights[i - 1]
    return chosen


def tie_heavy_case(rng, palette, max_items=14):
    """Small integer weights and float32 values (as Python floats, like the reference's shot means)
    drawn from few distinct numbers, so that many subsets share the best total."""
    n = int(rng.integers(1, max_items + 1))
    weights = rng.integers(1, 7, n).tolist()
    capacity = int(rng.integers(0, sum(weights) // 2 + 3))  # mostly budgets that leave items out
    if palette == "quarters":  # exact binary fractions: equal sums are exactly equal
        values = rng.integers(0, 5, n) / 4
    elif palette == "thirds":  # near-ties that are not ties: three float32(1/3) sum to just over 1.0
        values = rng.integers(0, 4, n) / 3
    elif palette == "shot_means":  # means of float32 frame scores over shots, as evaluation.summary makes them
        frame_values = rng.integers(0, 3, 40).astype(np.float32) / np.float32(2.0)
        values = np.array([frame_values[rng.integers(0, 40, w)].mean() for w in weights])
    else:
        values = rng.random(n)
    return capacity, weights, [v.item() for v in np.asarray(values, dtype=np.float32)]


def optimal_subsets(capacity, weights, values):
    """Every subset within the capacity whose total is the best, and that total (all subsets tried)."""
    feasible = [s for r in range(len(weights) + 1) for s in itertools.combinations(range(len(weights)), r)
                if sum(weights[i] for i in s) <= capacity]
    totals = [sum(values[i] for i in s) for s in feasible]
    best = max(totals)
    return [list(s) for s, t in zip(feasible, totals, strict=True) if t >= best - 1e-9], best


@pytest.mark.parametrize("palette", ["quarters", "thirds", "shot_means", "uniform"])
def test_same_choice_as_the_reference_rule_on_random_cases(palette):
    rng = np.random.default_rng(["quarters", "thirds", "shot_means", "uniform"].index(palette))
    for case in range(1500):
        capacity, weights, values = tie_heavy_case(rng, palette)
        assert knapsack(capacity, weights, values) == reference_rule(capacity, weights, values), (case, capacity, weights, values)


@pytest.mark.parametrize("palette", ["quarters", "thirds", "shot_means", "uniform"])
def test_optimum_matches_brute_force(palette):
    rng = np.random.default_rng(10 + ["quarters", "thirds", "shot_means", "uniform"].index(palette))
    cases_with_ties = 0
    for case in range(150):
        capacity, weights, values = tie_heavy_case(rng, palette, max_items=9)
        chosen = knapsack(capacity, weights, values)
        best_sets, best = optimal_subsets(capacity, weights, values)
        assert chosen == sorted(set(chosen)) and sum(weights[i] for i in chosen) <= capacity, case
        assert sum(values[i] for i in chosen) == pytest.approx(best, rel=1e-12, abs=1e-12), case
        cases_with_ties += len(best_sets) > 1
    if palette != "uniform":
        assert cases_with_ties >= 25  # the cases do exercise the choice among equal optima (measured: 30-54 of 150)


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
