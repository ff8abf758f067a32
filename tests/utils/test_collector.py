"""utils/collector.py: no cyclic collection while loading; what was made meanwhile frozen out of later ones."""

import gc
import weakref

import pytest

from utils.collector import loading_without_collections


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def unfrozen():
    yield
    gc.unfreeze()  # the rest of the suite's objects go back to the collector's care


def test_loading_makes_no_collection_and_freezes_what_it_made():
    garbage = weakref.ref(Node())  # a cycle that is garbage before loading starts: collected, not frozen
    collections = []
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
    try:
        with loading_without_collections():
            assert garbage() is None
            assert not gc.isenabled()
            collections.clear()
            loaded = [Node() for _ in range(50_000)]  # far past the thresholds that start collections
            assert collections == []
        frozen = gc.get_freeze_count()
        assert gc.isenabled()
        assert frozen >= len(loaded)
        gc.collect()
        assert gc.get_freeze_count() == frozen  # later collections leave them alone
    finally:
        gc.callbacks.pop()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with loading_without_collections():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
