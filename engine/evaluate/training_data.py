"""Whether a weights file is about to be scored on the data it was trained on.

train.py's record (split<k>.json) keeps the sha256 of the features file it trained on (its "run"
fingerprint). A data set built from one's own videos can be rebuilt under the same name: one more
clip and every video_<k> holds another clip, so the folds saved beside the weights would put videos
the model trained on among its test videos, and the table would look fine. That is refused. The
benchmarks' files are fixed and their splits name the same videos whatever the copy, so another copy
(a synthetic stand-in, another download) is only a warning. Released weights, and records written
before the digest was kept, say nothing and are accepted.
"""

from __future__ import annotations

import logging
from pathlib import Path

from config import DATASETS
from dataset.benchmark import Benchmark
from dataset.errors import DataError
from engine.run_paths import record_path_for
from engine.train.resume import file_digest

log = logging.getLogger(__name__)

_WARNED: set[tuple[Path, str]] = set()  # (weights folder, data digest): one warning per folder and file, not one per split


def recorded_data_digest(record: dict | None) -> str | None:
    """The sha256 of the features file a record's weights were trained on; None when the record keeps none."""
    run = record.get("run") if isinstance(record, dict) else None
    digest = run.get("data_file") if isinstance(run, dict) else None
    return digest if isinstance(digest, str) and digest else None


def check_trained_on(benchmark: Benchmark, weights_path: Path, record: dict | None) -> None:
    """Refuse scoring a built data set with weights trained on another version of it; warn for a benchmark.

    The data file is hashed once per process (engine.train.resume.file_digest), however many splits share it.

    Raises:
        DataError: a built data set whose content differs from the one the record names (the message names both files).
    """
    recorded = recorded_data_digest(record)
    if recorded is None:
        return
    digest = file_digest(benchmark.h5_path)
    if digest == recorded:
        return
    record_path = record_path_for(weights_path)
    trained_on = record.get("data_file") or "another file"
    if benchmark.spec.name not in DATASETS:  # a built data set: its video keys mean nothing across builds
        raise DataError(
            f"{record_path} says {weights_path.name} was trained on {trained_on} (sha256 {recorded[:16]}), but {benchmark.h5_path} "
            f"holds other data (sha256 {digest[:16]}): rebuilt since, its videos may sit in other folds, so test videos could be "
            f"ones the model trained on. Point --h5 at the file the weights were trained on, or train again on {benchmark.h5_path} "
            "(train.py trains again when the file changed)")
    key = (weights_path.parent, digest)
    if key not in _WARNED:
        _WARNED.add(key)
        kind = {True: " (synthetic)", False: " (real)"}.get(record.get("synthetic_data"), "")
        log.warning("WARNING: the weights in %s were trained on %s%s, not on %s (its sha256 differs): the scores are those of "
                    "weights trained on other data", weights_path.parent, trained_on, kind, benchmark.h5_path)
