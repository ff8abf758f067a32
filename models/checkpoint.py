"""Reading and writing weights in each method's released layout (plain ``state_dict`` files).

CSTA's (every variant), PGL-SUM's and CA-SUM's files are what their authors' code writes with
``torch.save(model.state_dict(), path)``: the same keys and shapes, so theirs load here and ours
load there. A file that does not fit the model asked for is refused with its missing, unexpected
and mis-shaped keys, and with what the keys look like: another method, or another variant or
options of the same method that they do fit.
"""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from config import ModelConfig
from models import ca_sum, pgl_sum, summdiff, variants
from models.methods import METHODS, MethodSpec, guess_methods
from utils.errors import ProjectError
from utils.files import atomic_stream

# Prefixes some training wrappers add to every key; stripping them costs nothing and is unambiguous.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")
# Keys under which training scripts commonly store the state_dict beside other things (epoch, optimizer).
WRAPPER_KEYS = ("state_dict", "model", "model_state_dict")


class CheckpointMismatch(ProjectError, ValueError):
    """A weights file that cannot be read as a state_dict, or whose tensors do not fit the model."""


def _pickle_contents(path: Path) -> tuple[str | None, list[str]]:
    """What a torch file's pickle holds, read with pickletools (nothing is unpickled).

    Returns:
        The class of the top-level object when it is an instance of a class (None when it is a
        container or cannot be told), and every class or function the pickle names, in order of first
        appearance, as 'module.name'; ([], None) when the file is neither torch format (zip's data.pkl,
        or the legacy format's fourth pickle).
    """
    names: list[str] = []
    strings: list[str] = []
    top: str | None = None
    seen_first = False
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                member = next(n for n in archive.namelist() if n == "data.pkl" or n.endswith("/data.pkl"))
                stream = io.BytesIO(archive.read(member))
        else:
            stream = io.BytesIO(path.read_bytes())
            for _ in range(3):  # magic number, protocol version, system info
                for _ in pickletools.genops(stream):
                    pass
        for opcode, arg, _ in pickletools.genops(stream):
            if opcode.name in ("PROTO", "FRAME"):
                continue
            name = None
            if opcode.name == "GLOBAL":
                name = str(arg).replace(" ", ".")
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                name = f"{strings[-2]}.{strings[-1]}"
            elif isinstance(arg, str):
                strings.append(arg)
            if not seen_first:  # torch's protocol 2 pickles an object as its class first, a container as EMPTY_DICT etc.
                top, seen_first = name, True
            if name and name not in names:
                names.append(name)
    except (OSError, ValueError, StopIteration, zipfile.BadZipFile, KeyError):
        return None, []
    return top, names


def _tensor_free_objects(names: list[str]) -> list[str]:
    """The names that are not part of how torch stores tensors and plain containers."""
    plumbing = ("torch._utils.", "torch.storage.", "collections.OrderedDict", "torch.Size", "builtins.", "__builtin__.")
    return [name for name in names if not name.startswith(plumbing) and not name.endswith("Storage")]


def _pickled_objects_error(path: Path, what: str, error: Exception) -> CheckpointMismatch:
    top, names = _pickle_contents(path)
    objects = _tensor_free_objects(names)
    if not objects:
        return CheckpointMismatch(f"{path}: cannot be read as a PyTorch weights file ({_first_line(error)})")
    shown = ", ".join(objects[:3]) + (f" and {len(objects) - 3} more" if len(objects) > 3 else "")
    why = "It is not loaded, because unpickling objects runs code from the file."
    if top in objects:
        return CheckpointMismatch(
            f"{path}: this {what} file is not a state_dict but a whole pickled {top} object (as torch.save(model) "
            f"writes; it names {shown}). {why}\n"
            "Save the weights alone where the model was made: torch.save(model.state_dict(), path). Or, if you trust "
            "this file and its classes can be imported here, convert it once:\n"
            f"    python -c \"import torch; torch.save(torch.load('{path}', weights_only=False).state_dict(), 'state_dict.pt')\""
        )
    return CheckpointMismatch(
        f"{path}: this {what} file is not a state_dict: it holds pickled Python objects ({shown}), such as a whole "
        f"model saved inside a dict. {why}\nWhere the model was made, save its weights alone: "
        "torch.save(model.state_dict(), path)."
    )


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _is_state_dict(value: object) -> bool:
    return (
        isinstance(value, dict) and bool(value)
        and all(isinstance(k, str) for k in value) and all(isinstance(v, torch.Tensor) for v in value.values())
    )


def _describe_entries(mapping: dict) -> str:
    entries = [f"{key!r} ({type(value).__name__})" for key, value in list(mapping.items())[:8]]
    return ", ".join(entries) + (f" and {len(mapping) - 8} more" if len(mapping) > 8 else "")


def _unwrap(payload: object, path: Path, what: str) -> dict[str, torch.Tensor]:
    """The state_dict itself, or the one a known wrapper holds; a named error for anything else."""
    if _is_state_dict(payload):
        return payload
    wrappers = " or ".join(f"{{{key!r}: state_dict, ...}}" for key in WRAPPER_KEYS)
    if isinstance(payload, dict):
        found = [key for key in WRAPPER_KEYS if _is_state_dict(payload.get(key))]
        if len(found) == 1:
            return payload[found[0]]
        if len(found) > 1:
            raise CheckpointMismatch(f"{path}: this {what} file holds several state_dicts ({', '.join(map(repr, found))}); keep the one to use alone in a file")
        if not payload:
            raise CheckpointMismatch(f"{path}: this {what} file holds an empty dict, not a state_dict")
        raise CheckpointMismatch(
            f"{path}: this {what} file holds a dict that is not a state_dict (parameter names to tensors), nor a wrapper "
            f"{wrappers}; its entries: {_describe_entries(payload)}"
        )
    raise CheckpointMismatch(f"{path}: this {what} file holds a {type(payload).__name__}, not a state_dict (a dict from parameter names to tensors)")


def read_state_dict(path: str | os.PathLike, what: str) -> dict[str, torch.Tensor]:
    """Any weights file as a state_dict, without running code from it.

    Reads a plain state_dict, one wrapped as ``{'state_dict' | 'model' | 'model_state_dict': ...}``,
    and strips the prefixes DataParallel and torch.compile add. Every other content (a whole pickled
    model, a list, an optimizer checkpoint) is a CheckpointMismatch saying what the file holds.

    Args:
        path: the weights file.
        what: what the file should be, for messages, e.g. "CSTA weights" or "GoogLeNet weights".
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    try:
        # Zip-format files (torch >= 1.6) are mapped, not read into memory: the state_dict is
        # copied into a model right after, and mapping halves the time of loading a checkpoint.
        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except pickle.UnpicklingError as error:  # weights_only refuses what is not tensors and containers
        raise _pickled_objects_error(path, what, error) from error
    except Exception as error:  # noqa: BLE001 - torch raises many types for a bad file
        raise CheckpointMismatch(f"{path}: cannot be read as a PyTorch weights file ({_first_line(error)})") from error
    state = _unwrap(payload, path, what)
    for prefix in _WRAPPER_PREFIXES:
        if all(key.startswith(prefix) for key in state):
            state = {key[len(prefix):]: value for key, value in state.items()}
    return state


def describe_mismatch(model: nn.Module, state: dict[str, torch.Tensor]) -> str:
    """Missing keys, unexpected keys and shape mismatches, one line each; '' when they fit."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = sorted(
        f"{key}: file {tuple(state[key].shape)}, model {tuple(expected[key].shape)}"
        for key in set(expected) & set(state)
        if state[key].shape != expected[key].shape
    )
    lines = []
    for title, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
        if items:
            lines.append(f"  {title} ({len(items)}): " + ", ".join(items[:20]) + (" ..." if len(items) > 20 else ""))
    return "\n".join(lines)


def method_of(model: nn.Module) -> MethodSpec:
    """The method a model belongs to, from the type of its options (``model.config``)."""
    config = getattr(model, "config", None)
    for spec in METHODS.values():
        if isinstance(config, spec.config_type):
            return spec
    raise CheckpointMismatch(f"{type(model).__name__} is not a model of any known method ({', '.join(METHODS)})")


# How the keys and shapes of a state_dict tell each method's options that leave keys; None: they fit none.
_OPTIONS_FROM_KEYS: dict[type, Callable[[Mapping[str, torch.Tensor], Any], Any]] = {
    ModelConfig: variants.fitting_config,
    pgl_sum.PGLSumConfig: pgl_sum.config_from_keys,
    ca_sum.CASumConfig: ca_sum.config_from_keys,
    summdiff.SummDiffConfig: summdiff.config_from_keys,
}


def _changed(spec: MethodSpec, wanted: Any, found: Any) -> str:
    """The options of ``found`` that differ from ``wanted``, as 'name value, ...' in the method's option names."""
    if isinstance(found, ModelConfig):
        changes = {k: v for k, v in variants.changed_options(wanted, found).items() if k != "model_name"}
        prefix = found.model_name + (" with " if changes else "")
        return prefix + ", ".join(f"{option} {variants.spelled_option(value)}" for option, value in changes.items())
    before, after = spec.config_to_dict(wanted), spec.config_to_dict(found)
    return ", ".join(f"{name} {after[name]}" for name in after if after[name] != before[name])


def explain_weights(state: Mapping[str, torch.Tensor], model: nn.Module) -> str:
    """What a state_dict that does not fit ``model`` looks like: another method's weights, or which
    variant/options of the model's method its keys fit; a sentence saying so when the keys look like
    no known method."""
    spec = method_of(model)
    looks_like = guess_methods(state)
    if not looks_like:
        return f"The keys look like the weights of none of {', '.join(METHODS)}."
    if spec.name not in looks_like:
        other = METHODS[looks_like[0]]
        found = _OPTIONS_FROM_KEYS[other.config_type](state, other.default_config())
        options = _changed(other, other.default_config(), found) if found is not None else ""
        marker = other.key_marker if other.key_marker in state else next(iter(state))
        return (f"These are {other.name} weights by their keys (such as {marker!r}), not {spec.name}'s: evaluate them "
                f"with --method {other.name}" + (f" ({options})" if options else "") + ".")
    if isinstance(model.config, ModelConfig):
        return variants.explain_mismatch(state, model.config)
    found = _OPTIONS_FROM_KEYS[spec.config_type](state, model.config)
    if found is None:
        return f"The keys are {spec.name}'s, but fit none of its architectures."
    return f"The keys fit {spec.name} with {_changed(spec, model.config, found)} (the other options as asked)."


def load_checkpoint(model: nn.Module, path: str | os.PathLike) -> None:
    """Load a weights file of the model's method (ours or its authors' code's) into ``model``, strictly.

    Raises:
        FileNotFoundError: no such file.
        CheckpointMismatch: the file is not a state_dict, or does not fit ``model``: the message
            lists the missing, unexpected and mis-shaped keys and says what the keys look like.
    """
    path = Path(path)
    spec = method_of(model)
    if not path.is_file():
        raise FileNotFoundError(
            f"weights file not found: {path} (train it with train.py, or put the released {spec.name} weights there: "
            "see README, 'Real data and weights')"
        )
    state = read_state_dict(path, f"{spec.name} weights")
    problems = describe_mismatch(model, state)
    if problems:
        hint = explain_weights(state, model)
        raise CheckpointMismatch(f"{path} does not fit the {spec.name} model asked for:\n{problems}" + (f"\n{hint}" if hint else ""))
    model.load_state_dict(state)


def save_checkpoint(state: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Write a state_dict in the released layout, atomically (never a half-written file)."""
    # through a Python stream: torch.save given a path writes from C++, and a full disk would come
    # back as torch's RuntimeError with the errno lost instead of an OutputError naming the file
    with atomic_stream(path) as stream:
        torch.save({key: value.detach().cpu() for key, value in state.items()}, stream)
