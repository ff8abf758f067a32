"""utils/cluster.py: a local Ray started for the block and stopped after it; a running one reused."""

import pytest

from utils.cluster import ray_session


def test_a_local_ray_is_started_for_the_block_and_a_running_one_is_reused(monkeypatch):
    ray = pytest.importorskip("ray")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert not ray.is_initialized()
    with ray_session() as outer:
        assert ray.is_initialized() and outer.where == "a local Ray started by this process" and outer.cpus >= 1
        with ray_session("unused:1") as inner:  # already joined: the address is not dialled
            assert inner.where == "the Ray this process already runs on" and inner.cpus == outer.cpus
        assert ray.is_initialized()  # the inner block leaves the Ray it did not start running
        assert "CPU(s)" in outer.describe()
    assert not ray.is_initialized()
