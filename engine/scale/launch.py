"""How this process was started: alone, or as one rank of a ``torchrun`` job.

torchrun (torch.distributed.run) tells each process who it is through environment variables; they
are read here with the standard library only, so train.py can decide which process claims and
locks the outputs before torch is imported (only rank 0 writes, see engine/scale/torchrun.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from utils.errors import ProjectError
from utils.whole_numbers import whole_number

# What torchrun sets in every process it starts; all must be present to call it a torchrun launch.
TORCHRUN_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


class LaunchError(ProjectError):
    """torchrun's variables are present but do not describe a rank (a hand-set, broken environment)."""


@dataclass(frozen=True)
class Launch:
    """This process's place in a job: rank ``rank`` of ``world_size`` (0 of 1 when started alone)."""

    rank: int = 0
    local_rank: int = 0  # rank on this machine: which GPU the process takes
    world_size: int = 1

    @property
    def distributed(self) -> bool:
        """Several processes train one model (torchrun with a single process is a plain run)."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """The rank that evaluates, logs and writes every output."""
        return self.rank == 0


def _whole(environ: Mapping[str, str], name: str, low: int) -> int:
    text = environ[name]
    try:
        return whole_number(low)(text)
    except ValueError:
        raise LaunchError(f"the environment variable {name}={text!r} set by torchrun should be a whole number of at least {low}") from None


def current_launch(environ: Mapping[str, str] | None = None) -> Launch:
    """The launch described by torchrun's environment variables, or a lone process without them.

    Raises:
        LaunchError: the variables are there but malformed, or the rank is outside the world.
    """
    environ = os.environ if environ is None else environ
    if not all(name in environ for name in TORCHRUN_VARIABLES):
        return Launch()
    launch = Launch(_whole(environ, "RANK", 0), _whole(environ, "LOCAL_RANK", 0), _whole(environ, "WORLD_SIZE", 1))
    if launch.rank >= launch.world_size:
        raise LaunchError(f"RANK={launch.rank} is outside WORLD_SIZE={launch.world_size} (torchrun's environment variables)")
    return launch
