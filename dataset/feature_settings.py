"""The settings a feature folder was extracted with (VideoXum's layout, feat/<name>/<video_id>.npz), kept
beside its files as ``extraction.json``.

Why: ``python -m cli.extract_features`` resumes a stopped run by skipping the videos already in the
folder. Resumed with another backbone or rate, it would mix widths and rates in one folder, and the
readers would fail later on a shape that names no file (or, same width, train on mixed features
without a word). With the record, a resumed run with other settings is refused naming both and the
file, and the readers (dataset/videoxum.py) know the width every file must have. Standard library
and config only: checked before any network loads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from dataset.errors import DataError
from utils.files import write_json_atomic

SETTINGS_FILE = "extraction.json"


@dataclass(frozen=True)
class FeatureSettings:
    """What makes two feature files comparable; a batch size or a device does not change them."""

    backbone: str  # googlenet, resnet, efficientnet, mobilenet (cli.extract_features --backbone)
    feature_width: int  # d of every file's [n_samples, d] array
    fps: float  # samples per second
    preprocessing: str  # how a frame becomes the network's input
    weights: str  # where the network's weights came from: imagenet, random, or file <sha256>

    def describe(self) -> str:
        return ", ".join(f"{field.name} {getattr(self, field.name)}" for field in fields(self))

    def differences(self, asked: FeatureSettings) -> list[str]:
        """'fps 1 (recorded) vs 2 (asked)' for every setting that differs."""
        return [f"{field.name} {getattr(self, field.name)} (recorded) vs {getattr(asked, field.name)} (asked)"
                for field in fields(self) if getattr(self, field.name) != getattr(asked, field.name)]


def settings_path(folder: Path) -> Path:
    return Path(folder) / SETTINGS_FILE


def read_settings(folder: Path) -> FeatureSettings | None:
    """The folder's record; None when it has none (a folder from before the record, or from elsewhere).

    Raises:
        DataError: a record that cannot be read or lacks a setting (named).
    """
    path = settings_path(folder)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read the feature folder's settings ({error})") from error
    names = [field.name for field in fields(FeatureSettings)]
    if not isinstance(payload, dict) or any(name not in payload for name in names):
        raise DataError(f"{path}: not a settings record of cli.extract_features (expected the keys {', '.join(names)})")
    try:
        return FeatureSettings(backbone=str(payload["backbone"]), feature_width=int(payload["feature_width"]), fps=float(payload["fps"]),
                               preprocessing=str(payload["preprocessing"]), weights=str(payload["weights"]))
    except (TypeError, ValueError) as error:
        raise DataError(f"{path}: a setting of the wrong type ({error})") from error


def write_settings(folder: Path, settings: FeatureSettings) -> Path:
    """Write the record (atomically) and return its path."""
    path = settings_path(folder)
    write_json_atomic(path, asdict(settings))
    return path


class SettingsMismatch(DataError):
    """A feature folder extracted with other settings than a run asks for; the message names both and the file."""


def check_settings(folder: Path, asked: FeatureSettings) -> None:
    """Refuse to add features made with ``asked`` to a folder recorded with other settings.

    Raises:
        SettingsMismatch: names every differing setting, both values, and the record.
        DataError: an unreadable record.
    """
    recorded = read_settings(folder)
    if recorded is None or recorded == asked:
        return
    raise SettingsMismatch(
        f"the features in {folder} were extracted with other settings ({settings_path(folder)}): "
        + "; ".join(recorded.differences(asked))
        + ". Mixing them would give files of different widths or rates in one folder: extract into another folder, "
        "run again with the recorded settings, or pass --overwrite to extract every given video again with these settings"
    )
