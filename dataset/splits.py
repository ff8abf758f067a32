"""Train/test splits: the project's own JSON format, PGL-SUM's JSON, and the reference's text lines.

The project's format (dataset/splits/SumMe.json, TVSum.json)::

    {"format": "csta-splits/1", "dataset": "SumMe",
     "splits": [{"train": ["video_1", ...], "test": ["video_2", ...]}, ...]}

PGL-SUM's format is a JSON list of ``{"train_keys": [...], "test_keys": [...]}``; the reference
implementation's is one line per split, ``SumMe/split0/<train keys>/<test keys>``.

Whatever the format, a file is refused when it could make a result wrong without anyone noticing: a
field of the wrong type, a video in both the training and the test keys of one split, a video listed
twice, or a file made for another dataset than the one asked for.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dataset.errors import DataError

if TYPE_CHECKING:
    from config import DatasetSpec

FORMAT_TAG = "csta-splits/1"
# Fields a split entry may have, per JSON format; anything else is most likely a misspelt key list.
_PROJECT_FIELDS = ("train", "test")
_PGL_SUM_FIELDS = ("train_keys", "test_keys")


@dataclass(frozen=True)
class Split:
    """One fold: ``number`` counts from 1, as in weights/<dataset>/split<number>.pt."""

    number: int
    train_keys: tuple[str, ...]
    test_keys: tuple[str, ...]


def _json_type(value: object) -> str:
    """The JSON name of a parsed value's type, as a user reading the file sees it."""
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _preview(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _key_list(value: object, where: str, field: str) -> tuple[str, ...]:
    """A JSON list of video keys, or a DataError naming the field and what it holds instead."""
    if not isinstance(value, list):
        raise DataError(f"{where}: '{field}' is {_json_type(value)} ({_preview(value)}); expected a list of video keys such as [\"video_1\", \"video_2\"]")
    for item in value:
        if not isinstance(item, str):
            raise DataError(f"{where}: '{field}' holds {_json_type(item)} ({_preview(item)}); every entry must be a video key, a string such as \"video_1\"")
    return tuple(value)


def _check_dataset_name(named: object, where: str, spec: DatasetSpec | None) -> None:
    if not isinstance(named, str):
        raise DataError(f"{where}: 'dataset' is {_json_type(named)} ({_preview(named)}); expected the dataset's name, e.g. \"SumMe\"")
    if spec is not None and named.casefold() != spec.name.casefold():
        raise DataError(f"{where}: the file's splits are for dataset '{named}', but they were asked for {spec.name}; use a splits file of {spec.name}'s videos")


def _parse_json(payload: object, path: Path, spec: DatasetSpec | None) -> list[Split]:
    if isinstance(payload, dict) and "splits" in payload:
        fmt = payload.get("format", FORMAT_TAG)
        if fmt != FORMAT_TAG:
            raise DataError(f"{path}: 'format' is {_preview(fmt)}; this version reads {FORMAT_TAG}")
        if "dataset" in payload:
            _check_dataset_name(payload["dataset"], str(path), spec)
        entries, fields = payload["splits"], _PROJECT_FIELDS
        if not isinstance(entries, list):
            raise DataError(f"{path}: 'splits' is {_json_type(entries)} ({_preview(entries)}); expected a list of {{\"train\": [...], \"test\": [...]}} objects")
    elif isinstance(payload, list):
        entries, fields = payload, _PGL_SUM_FIELDS
    else:
        raise DataError(f"{path}: a splits file is a {FORMAT_TAG} object with 'splits' or a list of train_keys/test_keys objects")
    train_name, test_name = fields
    splits = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: split {number}"
        if not isinstance(entry, dict):
            raise DataError(f"{where} is {_json_type(entry)} ({_preview(entry)}); expected an object with '{train_name}' and '{test_name}' lists")
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            raise DataError(f"{where} has unknown field(s) {', '.join(map(repr, unknown))}; a split of this format has '{train_name}' and '{test_name}'")
        if test_name not in entry:
            raise DataError(f"{where} has no '{test_name}' list")
        splits.append(Split(number, _key_list(entry.get(train_name, []), where, train_name), _key_list(entry[test_name], where, test_name)))
    return splits


def _parse_reference_text(text: str, path: Path, spec: DatasetSpec | None) -> list[Split]:
    splits = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.strip().split("/")
        if len(fields) != 4:
            raise DataError(f"{path}:{line_number}: expected 'dataset/splitK/train,keys/test,keys'")
        _check_dataset_name(fields[0], f"{path}:{line_number}", spec)
        train = tuple(k for k in fields[2].split(",") if k)
        test = tuple(k for k in fields[3].split(",") if k)
        splits.append(Split(len(splits) + 1, train, test))
    return splits


def _check_keys(split: Split, path: Path) -> None:
    """No video twice in one list, and none both trained on and tested."""
    for name, keys in (("training", split.train_keys), ("test", split.test_keys)):
        repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
        if repeated:
            raise DataError(f"{path}: split {split.number} lists {', '.join(repeated)} more than once in its {name} keys")
    both = sorted(set(split.train_keys) & set(split.test_keys))
    if both:
        raise DataError(
            f"{path}: split {split.number} has video(s) in both its training and its test keys: {', '.join(both)} "
            "(the model would be tested on videos it was trained on)"
        )


def read_splits(path: str | Path, spec: DatasetSpec | None = None) -> list[Split]:
    """All splits in a file, whichever of the three formats it uses, each checked.

    Args:
        path: the splits file.
        spec: the dataset the splits are for; a file that names another dataset is refused.
            (``None`` skips only that check.)
    """
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"splits file cannot be read: {path} ({error})") from error
    if text.lstrip().startswith(("{", "[")):
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}: invalid JSON ({error})") from error
        splits = _parse_json(payload, path, spec)
    else:
        splits = _parse_reference_text(text, path, spec)
    if not splits:
        raise DataError(f"{path}: no splits found")
    for split in splits:
        _check_keys(split, path)
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
