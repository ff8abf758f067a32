"""utils/cluster.py: a local Ray started for the block and stopped after it; a running one reused."""

import pytest

from utils.cluster import Placement, PoolConfig, RayUnreachable, WorkersUnavailable, place_workers, ray_session


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


@pytest.mark.parametrize(("workers", "use_gpus", "cpus", "gpus", "threads", "expected"), [
    (None, True, 2, 0, 1, Placement(2, 0.0, 1)),  # one single-threaded CPU worker per CPU
    (None, True, 8, 0, 4, Placement(2, 0.0, 4)),  # CPU workers of as many CPUs as torch threads
    (None, True, 8, 2, 4, Placement(2, 1.0)),  # one worker per GPU
    (None, False, 8, 2, 1, Placement(3, 0.0, 1)),  # --device cpu: CPU workers; never more than the videos
    (8, True, 8, 2, 4, Placement(3, 0.66)),  # more workers than GPUs: they share them
])
def test_place_workers(workers, use_gpus, cpus, gpus, threads, expected):
    assert place_workers(PoolConfig(workers=workers, use_gpus=use_gpus), 3, cpus, gpus, threads) == expected


def test_more_cpu_workers_than_cpus_are_refused():
    with pytest.raises(WorkersUnavailable, match="3 workers of 1 CPU.s. asked for, but the Ray cluster has 2 CPU"):
        place_workers(PoolConfig(workers=3), 5, 2, 0, 1)


class _FakeRay:
    """Just what utils.cluster._stream calls: futures that finish in the order they were made."""

    class exceptions:  # noqa: N801 - Ray's own name
        class RayActorError(Exception):
            pass

    def wait(self, futures, num_returns):
        return [futures[0]], futures[1:]

    def get(self, future):
        return future()


class _Worker:
    def __init__(self, name, dies_on=()):
        self.name, self.dies_on = name, dies_on
        self.run = self  # worker.run.remote(job)

    def remote(self, job):
        def outcome():
            if job in self.dies_on:
                raise _FakeRay.exceptions.RayActorError(f"{self.name} died")
            return f"{job} by {self.name}"
        return outcome


def test_a_dead_worker_fails_only_its_job_and_is_replaced():
    from utils.cluster import _stream

    workers = [_Worker("w1"), _Worker("w2", dies_on=("b",))]
    outcomes = list(_stream(_FakeRay(), workers, ["a", "b", "c", "d"], lambda: _Worker("w3"), lambda job, error: f"{job} lost ({error})",
                            lambda outcome: False))
    assert outcomes == ["a by w1", "b lost (w2 died)", "c by w1", "d by w3"]
    assert [w.name for w in workers] == ["w1", "w3"]


def test_after_a_stopping_outcome_no_new_job_starts():
    from utils.cluster import _stream

    outcomes = list(_stream(_FakeRay(), [_Worker("w1")], ["a", "b", "c"], lambda: _Worker("w2"), lambda job, error: job,
                            lambda outcome: outcome.startswith("a")))
    assert outcomes == ["a by w1"]


@pytest.fixture
def dead_address(monkeypatch):
    """host:port of a local port nothing listens on (bound, then released), and a bound of half a second
    on the wait for it, so that the tests take seconds: utils.cluster's own parameter, not a mock of Ray."""
    import socket

    import utils.cluster

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(utils.cluster, "RAY_CONNECT_SECONDS", 0.5)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return f"127.0.0.1:{port}"


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_address_where_nothing_listens_is_given_up_after_the_stated_bound(dead_address, scheme):
    import time

    ray = pytest.importorskip("ray")
    started = time.monotonic()
    with pytest.raises(RayUnreachable, match=rf"no Ray cluster answers at {scheme}{dead_address} \(tried for 0.5 s: "), \
            ray_session(scheme + dead_address, connect_seconds=0.5):
        pass
    assert time.monotonic() - started < 10 and not ray.is_initialized()


def _build_dataset(tmp_path, address):
    import build_dataset
    from video.synthetic import write_demo_video

    write_demo_video(tmp_path / "v" / "a.mp4", scenes=2, seconds_per_scene=0.5, fps=30, size=(64, 64), audio=False)
    return build_dataset.main(build_dataset.parse_args([str(tmp_path / "v"), "--out", str(tmp_path / "o.h5"), "--random-backbone",
                                                        "--device", "cpu", "--quiet", "--ray-address", address]))


def _extract_features(tmp_path, address):
    from cli import extract_features
    from video.synthetic import write_demo_video

    write_demo_video(tmp_path / "v" / "a.mp4", scenes=1, seconds_per_scene=1.0, fps=10, size=(64, 48), audio=False)
    return extract_features.main(extract_features.parse_args([str(tmp_path / "v"), "--out", str(tmp_path / "feat"), "--random-backbone",
                                                              "--quiet", "--ray-address", address]))


def _train(tmp_path, address, data_dir, splits):
    import train

    return train.main(train.parse_args(["--dataset", "SumMe", "--data-dir", str(data_dir), "--splits-file", str(splits["SumMe"]),
                                        "--split", "1", "--epochs", "1", "--random-init", "--device", "cpu", "--weights-dir", str(tmp_path / "w"),
                                        "--ray-address", address]))


@pytest.mark.parametrize("command", ["build_dataset", "extract_features", "train"])
def test_every_command_says_so_in_one_line_and_exits_2(dead_address, command, tmp_path, caplog, request):
    import logging

    pytest.importorskip("ray")
    caplog.set_level(logging.INFO)
    if command == "build_dataset":
        code = _build_dataset(tmp_path, dead_address)
    elif command == "extract_features":
        code = _extract_features(tmp_path, dead_address)
    else:
        code = _train(tmp_path, dead_address, request.getfixturevalue("tiny_data_dir"), request.getfixturevalue("tiny_splits"))
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert code == 2 and len(errors) == 1 and "\n" not in errors[0], errors
    assert f"no Ray cluster answers at {dead_address} (tried for 0.5 s" in errors[0]
