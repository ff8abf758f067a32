"""engine/scale/launch.py: a torchrun rank told from its environment, before torch is imported."""

import pytest

from engine.scale.launch import Launch, LaunchError, current_launch

TORCHRUN = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}


def test_a_torchrun_rank_and_a_lone_process():
    assert current_launch(TORCHRUN) == Launch(rank=1, local_rank=1, world_size=4)
    assert current_launch(TORCHRUN).distributed and not current_launch(TORCHRUN).is_main
    assert current_launch({"RANK": "0"}) == Launch() and Launch().is_main and not Launch().distributed
    assert not current_launch({**TORCHRUN, "RANK": "0", "WORLD_SIZE": "1"}).distributed  # torchrun with one process


@pytest.mark.parametrize(("name", "value", "message"), [
    ("RANK", "x", "RANK='x'"), ("WORLD_SIZE", "0", "WORLD_SIZE='0'"), ("RANK", "4", "RANK=4 is outside WORLD_SIZE=4"),
])
def test_a_broken_torchrun_environment_is_named(name, value, message):
    with pytest.raises(LaunchError, match=message):
        current_launch({**TORCHRUN, name: value})
