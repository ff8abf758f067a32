"""Joining Ray, for the launchers that spread many independent jobs over processes and machines
(train.py and generate_video.py with --ray).

Ray runs embedded: with no address it starts in this process on this machine's cores and GPUs
and stops with it; with an address (``ray start --head`` prints it; or RAY_ADDRESS) the same code
runs on a cluster. A Ray this process has already started or joined (a notebook, a test) is used
as it is and left running. Ray is imported here only when called, so that the scripts' argument
checks stay light.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

RAY_ADDRESS_ENV = "RAY_ADDRESS"  # Ray's own variable: ray.init() joins the cluster it names

# What every worker process of a launcher starts with: the per-epoch and per-frame progress bars of
# many workers would interleave in the driver's terminal (tqdm reads this when it is imported).
WORKER_ENV = {"TQDM_DISABLE": "1"}


@dataclass(frozen=True)
class Cluster:
    """The Ray a launcher runs on, as the user should hear of it."""

    where: str  # "a local Ray started by this process" or "the Ray cluster at <address>"
    cpus: float  # in the whole cluster
    gpus: float

    def describe(self) -> str:
        return f"{self.where}: {self.cpus:g} CPU(s), {self.gpus:g} GPU(s)"


@contextlib.contextmanager
def ray_session(address: str | None = None) -> Iterator[Cluster]:
    """Ray for the duration of the block.

    Args:
        address: a running cluster (``auto``, ``host:6379``, ``ray://host:10001``); None: the
            cluster in RAY_ADDRESS if set, else a local Ray started in this process.

    Raises:
        ConnectionError: no Ray cluster answers at the address (Ray's own message).
    """
    import ray

    if ray.is_initialized():
        yield _cluster(ray, "the Ray this process already runs on")
        return
    address = address or os.environ.get(RAY_ADDRESS_ENV) or None
    if address:
        ray.init(address=address)
        where = f"the Ray cluster at {address}"
    else:
        ray.init(include_dashboard=False)
        where = "a local Ray started by this process"
    try:
        yield _cluster(ray, where)
    finally:
        ray.shutdown()


def _cluster(ray: Any, where: str) -> Cluster:
    resources = ray.cluster_resources()
    return Cluster(where, float(resources.get("CPU", 0)), float(resources.get("GPU", 0)))
