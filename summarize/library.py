"""Summarising a library of videos across Ray workers (generate_video.py --ray), on this machine or
a Ray cluster: utils.cluster's worker pool, each worker loading the networks once (with the same
loader as the sequential run) and then summarising one video at a time with the same per-video
function (summarize.runner.summarize_one), so it writes the same outputs.

A video that fails is reported and the others go on, as in the sequential run; after a full disk no
new video is started. A worker process that dies fails only the video it held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from summarize.provenance import VideoJob
from summarize.runner import Summarizer, VideoOutcome, log_outcome, summarize_one
from utils.cluster import PoolConfig, run_on_ray
from utils.paths import display_path


def _lost(job: VideoJob, error: str) -> VideoOutcome:
    return VideoOutcome(job.source, False, f"{display_path(job.source)}: the worker summarising it stopped ({error})")


def summarize_on_ray(load: Callable[[], Summarizer | None], jobs: Sequence[VideoJob], config: PoolConfig) -> Iterator[VideoOutcome]:
    """Every job on a Ray worker, one outcome each as it finishes (not in the jobs' order); after a
    full disk no new video is started, and those in progress are waited for.

    Args:
        load: builds the networks in a worker; pickled to the workers (a module-level function or a
            functools.partial of one), returns None after logging why it could not.

    Raises:
        WorkersUnavailable: no worker could load the networks (nothing was summarised).
    """
    for outcome in run_on_ray(load, summarize_one, jobs, config, _lost, stop=lambda outcome: outcome.disk_full):
        log_outcome(outcome)
        yield outcome
