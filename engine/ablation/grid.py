"""An ablation grid: the list of variants ablate.py trains, read from a JSON file and checked
completely before anything is trained.

Standard library, config.py and the torch-free models modules only, so that ablate.py refuses a bad
grid before importing torch. The file's layout::

    {"format": "csta-ablation-grid/1", "description": "...", "method": "CSTA",
     "variants": [{"name": "no CLS token", "group": "CLS token", "options": {"CLS_on": "false"}}, ...]}

``method`` (optional, default CSTA) names the method of every row (models.methods.METHODS); a row may
name its own. ``options`` are that method's options as its command-line flags take them, by option name
(CSTA: the reference implementation's names and spellings, ``"Scale": "None"``, ``"CLS_on": "false"``;
SummDiff: ``"decoder_layers": 3``, ``"score_embedding": "sinusoidal"``, ``"guidance": 0.5``), text read as
the flag reads it: an option not given takes the method's default (CSTA: the released configuration;
SummDiff: its authors' value for each data set). ``group`` is optional (the paper's table the row belongs to).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import PROJECT_ROOT, MethodConfigError, ModelConfigError
from models.method_choice import ModelChoiceError, config_from_options
from models.methods import DEFAULT_METHOD, METHOD_NAMES, method_spec
from utils.errors import ProjectError

GRID_FORMAT = "csta-ablation-grid/1"
PAPER_GRID = PROJECT_ROOT / "grids" / "paper_ablation.json"
ABLATION_FOLDER = "ablation"  # under --weights-dir
TABLE_FILES = ("ablation.md", "ablation.json", "ablation.png")


class GridError(ProjectError):
    """A grid file that cannot be run; the message names the file and the row."""


@dataclass(frozen=True)
class Variant:
    """One row of the grid: a named variant of a method."""

    name: str  # as the paper names it; the table's row label
    slug: str  # the folder name of its weights (derived from the name)
    group: str  # the paper's table it belongs to ('' when not given)
    options: dict = field(compare=False)  # the row's options as written (reference names); config says the same
    config: Any  # validated: an instance of the method's config type (CSTA: config.ModelConfig)
    method: str = DEFAULT_METHOD  # models.methods.METHODS key

    def weights_dir(self, weights_dir: Path) -> Path:
        """<weights_dir>/ablation/<slug>: train_split writes <dataset>/[seed<S>/]split<k>.pt below it."""
        return Path(weights_dir) / ABLATION_FOLDER / self.slug


def table_paths(out_dir: Path) -> list[Path]:
    """The table's three files in ``out_dir``: Markdown, JSON, bar chart."""
    return [Path(out_dir) / name for name in TABLE_FILES]


def slug_of(name: str) -> str:
    """A folder name from a row name: lower case, runs of other characters as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def read_grid(path: Path) -> list[Variant]:
    """Every variant of the grid file, each validated.

    Raises:
        GridError: the file cannot be read or is not a grid; a row has no name, a name or folder
            that another row has, an unknown option or value, a combination the method does not
            define, or the same variant as another row. The message names the file and the row.
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GridError(f"cannot read the grid file {path}: {error.strerror or error}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise GridError(f"the grid file {path} is not JSON: {error}") from error
    rows = payload.get("variants") if isinstance(payload, dict) else payload
    if not isinstance(rows, list) or not rows:
        raise GridError(f"the grid file {path} holds no variants: expected {{\"variants\": [{{\"name\": ..., \"options\": {{...}}}}, ...]}}")
    if isinstance(payload, dict) and payload.get("format", GRID_FORMAT) != GRID_FORMAT:
        raise GridError(f"the grid file {path} has format {payload.get('format')!r}; this version reads {GRID_FORMAT!r}")
    method = payload.get("method", DEFAULT_METHOD) if isinstance(payload, dict) else DEFAULT_METHOD
    variants: list[Variant] = []
    for number, row in enumerate(rows, start=1):
        variant = _read_row(path, number, row, method)
        for other in variants:
            clash = ("name" if other.name == variant.name else "folder name" if other.slug == variant.slug
                     else "variant" if other.config == variant.config else None)
            if clash:
                raise GridError(f"{path}, row {number} ({variant.name!r}): same {clash} as row {variants.index(other) + 1} "
                                f"({other.name!r}); every row must be a different variant with its own name")
        variants.append(variant)
    return variants


def _read_row(path: Path, number: int, row: object, method: str) -> Variant:
    where = f"{path}, row {number}"
    if not isinstance(row, dict):
        raise GridError(f"{where}: expected an object with \"name\" and \"options\", got {row!r}")
    unknown = sorted(set(row) - {"name", "group", "options", "note", "method"})
    if unknown:
        raise GridError(f"{where}: unknown field(s) {', '.join(unknown)}; a row has name, options and optionally group, method and note")
    method = row.get("method", method)
    name = row.get("name")
    if not isinstance(name, str) or not slug_of(name):
        raise GridError(f"{where}: every row needs a \"name\" with letters or digits, got {name!r}")
    where = f"{where} ({name!r})"
    options = row.get("options", {})
    if not isinstance(options, dict):
        raise GridError(f"{where}: \"options\" must be an object of reference options, got {options!r}")
    try:
        config = config_from_options(method, _parsed(method, options))
    except (ModelChoiceError, ModelConfigError, MethodConfigError, ValueError, TypeError) as error:
        raise GridError(f"{where}: {error}") from error
    return Variant(name, slug_of(name), str(row.get("group", "")), dict(options), config, method)


def _parsed(method: str, options: dict) -> dict:
    """The row's option values, text read by the method's declared flag parsers (as ablate.py's command line would);
    typed values and options without a flag go to the config type as they are (it names an unknown one)."""
    if method not in METHOD_NAMES:
        raise ModelChoiceError(f"unknown method {method!r}; choose one of {', '.join(METHOD_NAMES)}")
    flags = {option.name: option for option in method_spec(method).options}
    parsed = {}
    for name, value in options.items():
        try:
            parsed[name] = flags[name].parse(value) if isinstance(value, str) and name in flags else value
        except (ValueError, ProjectError) as error:  # named by the option unless the parser's message names it
            raise ValueError(str(error) if name in str(error) else f"option {name}: {error}") from error
    return parsed


def require_method(variants: list[Variant], method: str, where: str) -> None:
    """Refuse rows of another method than ``method`` for a route that ablates that method's variants only."""
    others = [f"{v.name!r} ({v.method})" for v in variants if v.method != method]
    if others:
        raise GridError(f"{where} ablates {method} variants only; the grid's rows {', '.join(others)} are not: "
                        f"run them on SumMe or TVSum")


def sized_variants(variants: list[Variant], feature_dim: int, name: str) -> dict[str, Any]:
    """Every variant's options sized to a data set's features (its own split's: VideoXum, Mr.HiSum, MoSu), by name,
    before anything is trained.

    Raises:
        GridError: a variant that cannot take ``feature_dim``-dimensional features (the row and the reason).
    """
    from engine.train.run_config import sized_for_features  # noqa: PLC0415 - torch-free, but above this floor's imports

    sized = {}
    for variant in variants:
        try:
            sized[variant.name] = sized_for_features(variant.config, feature_dim)
        except ModelConfigError as error:
            raise GridError(f"variant {variant.name!r} cannot run on {feature_dim}-dimensional {name} features: {error}") from error
    return sized

