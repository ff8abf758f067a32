import random

import numpy as np
import pytest
import torch

from utils.errors import ProjectError
from utils.runtime import DeviceUnavailable, seed_everything, select_device


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


@pytest.fixture
def one_cuda_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)


@pytest.mark.parametrize("requested", ["cpu", "cpu:0"])
def test_cpu_is_always_available(requested, no_cuda):
    assert select_device(requested).type == "cpu"


@pytest.mark.parametrize("requested", [None, ""])
def test_without_a_request_cuda_when_present_else_cpu(requested, monkeypatch, no_cuda):
    assert select_device(requested) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device(requested) == torch.device("cuda")


@pytest.mark.parametrize("requested", ["gpu", "CPU", "cuda:x", "cuda0"])
def test_a_string_that_is_no_device_is_named_with_examples(requested):
    with pytest.raises(DeviceUnavailable) as error:
        select_device(requested)
    assert repr(requested) in str(error.value) and "cpu, cuda or cuda:1" in str(error.value)
    assert isinstance(error.value, ProjectError)  # the scripts print it in one line and exit


@pytest.mark.parametrize("requested", ["cuda", "cuda:0"])
def test_cuda_asked_for_where_there_is_none(requested, no_cuda):
    with pytest.raises(DeviceUnavailable, match=f"device {requested} was asked for but CUDA is not available here"):
        select_device(requested)


def test_a_cuda_index_past_the_last_device(one_cuda_device):
    assert select_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(DeviceUnavailable, match=r"device cuda:1 was asked for but this machine has 1 CUDA device\(s\)"):
        select_device("cuda:1")


@pytest.fixture
def restore_generators():
    """Leave the global generators as they were for the tests that run after this one."""
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    yield
    random.setstate(states[0])
    np.random.set_state(states[1])
    torch.set_rng_state(states[2])


def _draws():
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(), torch.nn.functional.dropout(torch.ones(8)).tolist()


def test_seed_everything_makes_every_generator_repeat(restore_generators):
    seed_everything(123456)
    first = _draws()
    _draws()  # the generators moved on
    seed_everything(123456)
    assert _draws() == first
    seed_everything(123457)
    other = _draws()
    assert all(a != b for a, b in zip(other, first, strict=True))  # each generator was seeded, not just one
