"""Train/test splits: the project's own JSON format, PGL-SUM's JSON, and the reference's text lines.

The project's format (dataset/splits/SumMe.json, TVSum.json)::

    {"format": "csta-splits/1", "dataset": "SumMe",
     "splits": [{"train": ["video_1", ...], "test": ["video_2", ...]}, ...]}

PGL-SUM's format is a JSON list of ``{"train_keys": [...], "test_keys": [...]}``; the reference
implementation's is one line per split, ``SumMe/split0/<train keys>/<test keys>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dataset.errors import DataError

FORMAT_TAG = "csta-splits/1"


@dataclass(frozen=True)
class Split:
    """One fold: ``number`` counts from 1, as in weights/<dataset>/split<number>.pt."""

    number: int
    train_keys: tuple[str, ...]
    test_keys: tuple[str, ...]


def _from_pairs(pairs: Iterable[tuple[Sequence[str], Sequence[str]]]) -> list[Split]:
    return [Split(i, tuple(train), tuple(test)) for i, (train, test) in enumerate(pairs, start=1)]


def _parse_json(payload: object, path: Path) -> list[Split]:
    if isinstance(payload, dict) and "splits" in payload:
        entries, train_name, test_name = payload["splits"], "train", "test"
    elif isinstance(payload, list):
        entries, train_name, test_name = payload, "train_keys", "test_keys"
    else:
        raise DataError(f"{path}: a splits file is a {FORMAT_TAG} object with 'splits' or a list of train_keys/test_keys objects")
    pairs = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or test_name not in entry:
            raise DataError(f"{path}: split {number} has no '{test_name}' list")
        pairs.append((list(map(str, entry.get(train_name, []))), list(map(str, entry[test_name]))))
    return _from_pairs(pairs)


def _parse_reference_text(text: str, path: Path) -> list[Split]:
    pairs = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.strip().split("/")
        if len(fields) != 4:
            raise DataError(f"{path}:{line_number}: expected 'dataset/splitK/train,keys/test,keys'")
        pairs.append(([k for k in fields[2].split(",") if k], [k for k in fields[3].split(",") if k]))
    return _from_pairs(pairs)


def read_splits(path: str | Path) -> list[Split]:
    """All splits in a file, whichever of the three formats it uses."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise DataError(f"splits file cannot be read: {path} ({error})") from error
    if text.lstrip().startswith(("{", "[")):
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}: invalid JSON ({error})") from error
        splits = _parse_json(payload, path)
    else:
        splits = _parse_reference_text(text, path)
    if not splits:
        raise DataError(f"{path}: no splits found")
    return splits


def select_splits(splits: list[Split], numbers: Sequence[int] | None, path: str | Path) -> list[Split]:
    """The splits named by --split (all when None)."""
    if not numbers:
        return splits
    by_number = {split.number: split for split in splits}
    unknown = [n for n in numbers if n not in by_number]
    if unknown:
        raise DataError(f"{path}: has splits 1..{len(splits)}; no split {', '.join(map(str, unknown))}")
    return [by_number[n] for n in dict.fromkeys(numbers)]


def check_splits(splits: Iterable[Split], video_keys: Iterable[str], path: str | Path, data_path: str | Path, need_train: bool) -> None:
    """Every split names only videos the data file has, and none is empty."""
    available = set(video_keys)
    for split in splits:
        if not split.test_keys:
            raise DataError(f"{path}: split {split.number} has no test videos")
        if need_train and not split.train_keys:
            raise DataError(f"{path}: split {split.number} has no training videos")
        unknown = sorted(set(split.train_keys + split.test_keys) - available)
        if unknown:
            raise DataError(f"{path}: split {split.number} names video(s) not in {data_path}: {', '.join(unknown)}")
