"""Running a function over a stream of items in single-threaded workers, results in order.

Why not one call at a time with PyTorch's own threads: on a small CPU that also decodes video
(and is often shared), every intra-op parallel region waits at its barrier for whichever of its
threads the OS has descheduled, and a network pass is hundreds of such regions. Workers that each
compute a whole item with one thread never wait for one another; the calling thread produces the
items (decoding) meanwhile.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import torch

from features.exact_trunk import intra_op_threads

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_workers(function: Callable[[Item], Result], items: Iterable[Item], workers: int) -> Iterator[Result]:
    """``function(item)`` for every item, in order, computed by ``workers`` threads with one
    PyTorch intra-op thread each; at most ``2 * workers`` items are taken ahead of the results.

    The calling thread also runs with one intra-op thread until the iterator is exhausted or closed.
    """
    pending: deque[Future] = deque()
    with intra_op_threads(1):
        pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="embed", initializer=torch.set_num_threads, initargs=(1,))
        try:
            for item in items:
                pending.append(pool.submit(function, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
