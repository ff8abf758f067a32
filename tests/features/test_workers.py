"""map_in_workers: results in order, at most 2 x workers items ahead, errors raised, threads restored."""

import threading
import time

import pytest
import torch

from features.workers import map_in_workers


def test_results_come_in_order_whatever_finishes_first():
    def slow_for_even(i):
        time.sleep(0.02 if i % 2 == 0 else 0.0)
        return i * i

    assert list(map_in_workers(slow_for_even, range(9), workers=2)) == [i * i for i in range(9)]


def test_workers_run_single_threaded_and_the_caller_gets_its_threads_back():
    before = torch.get_num_threads()
    seen = set()

    def threads_here(_):
        seen.add((threading.current_thread().name.startswith("embed"), torch.get_num_threads()))
        return torch.get_num_threads()

    results = list(map_in_workers(threads_here, range(4), workers=2))
    assert results == [1, 1, 1, 1] and seen == {(True, 1)}
    assert torch.get_num_threads() == before


def test_items_are_taken_at_most_two_per_worker_ahead():
    taken = []

    def items():
        for i in range(20):
            taken.append(i)
            yield i

    results = map_in_workers(lambda i: i, items(), workers=2)
    assert next(results) == 0
    assert len(taken) <= 4 + 1
    results.close()


def test_an_error_in_a_worker_reaches_the_caller():
    def fails_at_three(i):
        if i == 3:
            raise ValueError("frame 3 is bad")
        return i

    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="frame 3"):
        list(map_in_workers(fails_at_three, range(6), workers=2))
    assert torch.get_num_threads() == before
