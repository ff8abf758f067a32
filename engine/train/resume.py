"""Resumable training runs: a checkpoint after every epoch, so a killed run loses at most one epoch.

Each run (one dataset, split and seed) keeps its checkpoint in its own folder beside its weights,
``<weights>/<dataset>/[seed<S>/]split<k>.run/checkpoint.pt`` (engine.run_paths.run_checkpoint_path;
CA-SUM's sigma sweep trains one model per sigma, each with its own ``sigma<f>.pt`` there),
replaced atomically after every epoch. It holds everything the next epoch depends on: the model,
the optimiser, every random generator (python, numpy, torch CPU and CUDA; one set per rank under
torchrun), the epoch keeper's state and weights, the history and, with SummDiff's --ema, the moving
average of the weights. Training restarted from it
draws the same numbers in the same order, so it ends with the same weights and history as a run
that was never interrupted (bit for bit on the CPU).

A checkpoint also holds the run's fingerprint (dataset, split, seed, the TrainingPlan's method,
model options, protocol and epoch rule, the features file's and the split's digests, the number of processes): one that
does not match the command, or that cannot be read, is refused with a message naming the file and
what differs, never overwritten; ``--restart`` discards it. When the weights, their record and
curve are written in their place the folder (every sigma's checkpoint) is removed: a finished run is recognised by its record,
which carries the same fingerprint, and skipped.

``RunSession`` gathers the hooks a training loop calls: ``finished_record`` before building
anything, ``begin`` before the first epoch, ``save`` after each epoch and ``close`` once the outputs
are written. Every decision is taken on rank 0 and shared with the other ranks (engine.scale.torchrun).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
from torch import nn

from dataset.benchmark import Benchmark
from dataset.splits import Split
from engine.run_paths import record_path_for, run_checkpoint_path, run_folder_for
from engine.scale import torchrun as distributed
from engine.train.resume_policy import ResumePolicy
from engine.weights_model import read_training_record
from utils.errors import ProjectError
from utils.files import OutputError, atomic_stream, sha256_of

if TYPE_CHECKING:
    from engine.train.ema import WeightAverage
    from engine.train.run_config import TrainingPlan

log = logging.getLogger(__name__)

FORMAT = "csta-run-checkpoint/2"  # 2: the TrainingPlan in the fingerprint, one checkpoint per sigma
RESTART_HINT = "pass --restart to discard it and train this run from the start"


class CheckpointRefused(ProjectError):
    """A run checkpoint that cannot be read, or that belongs to another run; the message names the file."""


class NothingToResume(ProjectError):
    """--resume was asked for but the run has neither a checkpoint nor finished weights of this command."""


class ResumableKeeper(Protocol):
    """An epoch keeper whose whole state (numbers and kept weights) can be saved and put back.

    ``state_dict`` returns plain values and tensors only (no classes), so the checkpoint loads with
    ``torch.load(weights_only=True)``; engine.train.epoch.RuleKeeper provides it.
    """

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


def _plain(value: object) -> Any:
    """``value`` as JSON reads it back (tuples become lists), so fingerprints compare equal after a round trip."""
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class RunFingerprint:
    """What a run is: two runs with equal fingerprints train the same model the same way."""

    dataset: str
    split: int
    seed: int
    plan: dict[str, Any]  # TrainingPlan.as_record() (method, model options, protocol, rule) and the trunk's start
    data_file: str  # sha256 of the features file (VideoXum: of its feature set's name and annotation files): moving it keeps the run
    split_keys: str  # sha256 of the split's training and test keys
    processes: int = 1  # torchrun's world size: it sets how many videos each optimiser step sees

    def as_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data: object) -> RunFingerprint | None:
        """The fingerprint stored in a checkpoint or record; None when it has none or a malformed one."""
        if not isinstance(data, Mapping) or set(data) != {f.name for f in fields(cls)}:
            return None
        return cls(**data)

    def differences(self, other: RunFingerprint) -> list[str]:
        """One line per field that differs, e.g. "seed: 1 in the checkpoint, 2 in this command"."""
        lines: list[str] = []
        for item in fields(self):
            _differences(item.name, getattr(self, item.name), getattr(other, item.name), lines)
        return lines


def _differences(name: str, stored: object, wanted: object, lines: list[str]) -> None:
    """Append a line per differing leaf, nested dictionaries named by dotted keys (plan.protocol.epochs)."""
    if isinstance(stored, dict) and isinstance(wanted, dict):
        for key in sorted(set(stored) | set(wanted)):
            _differences(f"{name}.{key}", stored.get(key, "(absent)"), wanted.get(key, "(absent)"), lines)
    elif stored != wanted:
        lines.append(f"{name}: {stored!r} in the checkpoint, {wanted!r} in this command")


_DIGESTS: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> sha256: one read per file and process


def file_digest(path: Path) -> str:
    """sha256 of ``path``, read once per process however many runs share the file."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_of(Path(path))
    return _DIGESTS[key]


def run_fingerprint(benchmark: Benchmark, split: Split, plan: TrainingPlan, processes: int = 1) -> RunFingerprint:
    """The fingerprint of training ``plan`` on ``split`` of ``benchmark`` (its TensorBoard folder aside: it changes nothing)."""
    return fingerprint_for(benchmark.spec.name, split.number, plan, file_digest(benchmark.h5_path),
                           {"train": split.train_keys, "test": split.test_keys}, processes)


def fingerprint_for(dataset: str, split: int, plan: TrainingPlan, data_digest: str, keys: Mapping[str, Sequence[str]],
                    processes: int = 1) -> RunFingerprint:
    """The fingerprint of training ``plan`` on a split of ``dataset``, whose data has the digest ``data_digest``
    and whose parts (train, test; VideoXum's val too) hold the videos ``keys`` names."""
    named = json.dumps({part: list(videos) for part, videos in keys.items()}).encode()
    return RunFingerprint(
        dataset=dataset, split=split, seed=plan.seed, plan=_plain({**plan.as_record(), "imagenet_init": plan.imagenet_init}),
        data_file=data_digest, split_keys=hashlib.sha256(named).hexdigest(), processes=processes,
    )


def capture_generators() -> dict[str, Any]:
    """The state of every random generator training draws from, as plain values and tensors."""
    _, keys, position, has_gauss, gauss = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": {"keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(position),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(gauss)},
        "torch": torch.get_rng_state(),
        # only once CUDA is in use: asking earlier would start a CUDA context in a CPU run
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
    }


def restore_generators(state: Mapping[str, Any]) -> None:
    """Put back the generators ``capture_generators`` saved."""
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    saved = state["numpy"]
    np.random.set_state(("MT19937", saved["keys"].numpy().astype(np.uint32), saved["pos"], saved["has_gauss"], saved["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        count = torch.cuda.device_count()
        if len(state["cuda"]) != count:
            log.warning("the checkpoint saved %d CUDA generators but this machine has %d GPUs; the run goes on, "
                        "but will not draw the numbers an uninterrupted run would", len(state["cuda"]), count)
        for index, cuda_state in enumerate(state["cuda"][:count]):
            torch.cuda.set_rng_state(cuda_state, index)


def _rows(history: Sequence[object]) -> list[dict[str, Any]]:
    return [asdict(row) if dataclasses.is_dataclass(row) else dict(row) for row in history]  # type: ignore[arg-type]


@dataclass
class RunCheckpoint:
    """One run's state at the end of an epoch (see the module's docstring)."""

    fingerprint: RunFingerprint
    length_factor: float | None  # CA-SUM: the sigma of this run of the sweep; None for a loss without one
    epoch: int  # epochs finished, from 1
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    keeper: dict[str, Any]
    history: list[dict[str, Any]]  # one row per finished epoch
    generators: list[dict[str, Any]]  # capture_generators() of every rank, by rank
    averaged: dict[str, torch.Tensor] | None = None  # the moving average of the weights (SummDiff's --ema), else None

    def save(self, path: Path) -> None:
        """Replace ``path`` atomically: a kill at any moment leaves the previous checkpoint or this one."""
        payload = {"format": FORMAT, **asdict(self), "fingerprint": self.fingerprint.as_dict()}
        with atomic_stream(path) as stream:
            torch.save(payload, stream)

    @classmethod
    def load(cls, path: Path) -> RunCheckpoint:
        """Read a checkpoint without running code from it.

        Raises:
            CheckpointRefused: the file is not a whole run checkpoint of this format.
        """
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 - torch raises many types for a damaged file
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise CheckpointRefused(f"{path}: cannot be read as a run checkpoint ({first}); {RESTART_HINT}") from error
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
            raise CheckpointRefused(f"{path}: not a run checkpoint of format {FORMAT} (found {found!r}); {RESTART_HINT}")
        fingerprint = RunFingerprint.from_dict(payload.get("fingerprint"))
        names = [f.name for f in fields(cls) if f.name not in ("fingerprint", "averaged")]
        if fingerprint is None or any(name not in payload for name in names):
            raise CheckpointRefused(f"{path}: a run checkpoint with missing parts; {RESTART_HINT}")
        return cls(fingerprint, **{name: payload[name] for name in names}, averaged=payload.get("averaged"))

    def check_matches(self, fingerprint: RunFingerprint, path: Path) -> None:
        """Raises CheckpointRefused naming every difference when the checkpoint is of another run."""
        differences = self.fingerprint.differences(fingerprint)
        if differences:
            raise CheckpointRefused(
                f"{path} belongs to another run than this command's, so it is neither resumed nor overwritten:\n  "
                + "\n  ".join(differences) + f"\nRun the command that started it to finish it, or {RESTART_HINT}"
            )


class RunSession:
    """The resume hooks of one split's training, called by the training loop (see the module docstring).

    A split trains one model, or one per sigma of CA-SUM's sweep: each has its own checkpoint
    (``begin`` and ``save`` take its sigma), and all go once the split's outputs are written.

    Args:
        weights_path: where the split's weights go; the checkpoints live beside them.
        fingerprint: what the split's training is (run_fingerprint).
        policy: AUTO resumes or skips when it can and starts otherwise; RESUME refuses to start
            from nothing; RESTART discards the checkpoints and retrains a finished split; RETRAIN
            retrains a finished split but goes on from a checkpoint (a retried Ray task of --restart).
    """

    def __init__(self, weights_path: Path, fingerprint: RunFingerprint, policy: ResumePolicy = ResumePolicy.AUTO) -> None:
        self.weights_path = Path(weights_path)
        self.folder = run_folder_for(self.weights_path)
        self.fingerprint = fingerprint
        self.policy = policy
        self.ranks = distributed.current()
        self._warned = False

    def path(self, length_factor: float | None = None) -> Path:
        """The checkpoint of the run with this sigma (None: the split's only run)."""
        return run_checkpoint_path(self.weights_path, length_factor)

    def checkpoints(self) -> list[Path]:
        """Every checkpoint in the split's run folder (one per sigma already started)."""
        return sorted(self.folder.glob("*.pt")) if self.folder.is_dir() else []

    def record_entries(self, videos_per_step: int = 1) -> dict[str, Any]:
        """What the run's JSON record says about the run itself: its fingerprint (which marks the run finished)
        and how torchrun's processes shared the method's ``videos_per_step`` (engine.scale.torchrun.record_entry:
        whether each optimiser step is the method's own, a lone process's)."""
        return {"run": self.fingerprint.as_dict(), "data_parallel": distributed.record_entry(self.ranks, videos_per_step)}

    def finished_record(self) -> dict | None:
        """The JSON record of this very run when it already finished (weights and record in place, no
        checkpoint left), else None. Raises NothingToResume under RESUME when there is nothing to go on from."""
        def look() -> dict | None:
            if self.policy in (ResumePolicy.RESTART, ResumePolicy.RETRAIN) or self.checkpoints():
                return None
            record = read_training_record(self.weights_path) if self.weights_path.is_file() else None
            if record is not None and RunFingerprint.from_dict(record.get("run")) == self.fingerprint:
                log.info("%s: already trained by this command (%s); skipping it (--restart trains it again)",
                         self.weights_path, record_path_for(self.weights_path))
                return record
            if self.policy is ResumePolicy.RESUME:
                raise NothingToResume(f"--resume: {self.weights_path} has no checkpoint (in {self.folder}) and no finished "
                                      "weights of this command to resume; leave out --resume to train it")
            return None
        return distributed.on_main(look)

    def begin(self, model: nn.Module, optimizer: torch.optim.Optimizer, keeper: ResumableKeeper,
              length_factor: float | None = None, average: WeightAverage | None = None) -> tuple[int, list[dict[str, Any]]]:
        """Before the first epoch of the run with this sigma: put back the last finished epoch of a matching checkpoint.

        Returns:
            The number of epochs already finished (0 for a fresh start) and their history rows.
        Raises:
            CheckpointRefused: the checkpoint is damaged or of another run (nothing is changed).
        """
        path = self.path(length_factor)

        def load() -> RunCheckpoint | None:
            self._remove_partial_writes()
            if self.policy is ResumePolicy.RESTART and path.exists():
                log.info("%s: discarding the checkpoint (--restart)", path)
                path.unlink()
            if not path.exists():
                return None
            checkpoint = RunCheckpoint.load(path)
            checkpoint.check_matches(self.fingerprint, path)
            if checkpoint.length_factor != length_factor:
                raise CheckpointRefused(f"{path}: the run of length factor {checkpoint.length_factor}, not {length_factor}; "
                                        f"{RESTART_HINT}")
            if (checkpoint.averaged is None) != (average is None):
                held = "holds" if checkpoint.averaged is not None else "has no"
                raise CheckpointRefused(f"{path}: {held} a moving average of the weights (--ema), and this run "
                                        f"{'has none' if average is None else 'keeps one'}; {RESTART_HINT}")
            if len(checkpoint.generators) != self.ranks.world_size:
                raise CheckpointRefused(f"{path}: saved by {len(checkpoint.generators)} processes, "
                                        f"resumed by {self.ranks.world_size}; {RESTART_HINT}")
            return checkpoint
        checkpoint = distributed.on_main(load)
        if checkpoint is None:
            distributed.separate_generators(self.fingerprint.seed)
            return 0, []
        model.load_state_dict(checkpoint.model)
        optimizer.load_state_dict(checkpoint.optimizer)
        keeper.load_state_dict(checkpoint.keeper)
        if average is not None:
            average.load_state_dict(checkpoint.averaged)
        restore_generators(checkpoint.generators[self.ranks.rank])
        if self.ranks.is_main:
            log.info("%s: resuming after epoch %d of %d", path, checkpoint.epoch, self.fingerprint.plan["protocol"]["epochs"])
        return checkpoint.epoch, checkpoint.history

    def save(self, epoch: int, model: nn.Module, optimizer: torch.optim.Optimizer, keeper: ResumableKeeper,
             history: Sequence[object], length_factor: float | None = None, average: WeightAverage | None = None) -> None:
        """After epoch ``epoch`` (from 1) of the run with this sigma: replace its checkpoint. Every rank calls it
        (their generators are gathered); rank 0 writes. A refused write (full disk) is a warning: the run goes on,
        unresumable."""
        generators = distributed.gather(capture_generators())
        if not self.ranks.is_main:
            return
        checkpoint = RunCheckpoint(
            self.fingerprint, length_factor, epoch, {key: value.detach().cpu() for key, value in model.state_dict().items()},
            optimizer.state_dict(), keeper.state_dict(), _rows(history), generators,
            average.state_dict() if average is not None else None,
        )
        try:
            checkpoint.save(self.path(length_factor))
        except OutputError as error:
            if not self._warned:
                log.warning("could not write the run checkpoint (%s); training goes on, but a stop now cannot be resumed", error)
                self._warned = True

    def close(self, written_in_place: bool) -> None:
        """Once the weights, record and curve are written: remove the run folder with every checkpoint (the record
        marks the run finished). Kept when an output went elsewhere (the next run can write them again from it)."""
        if not self.ranks.is_main:
            return
        if not written_in_place:
            if self.checkpoints():
                log.warning("keeping the run checkpoints in %s: an output of this run is not where it belongs", self.folder)
            return
        for path in self.checkpoints():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._remove_partial_writes()
        with contextlib.suppress(OSError):  # something else was put there: it stays
            self.folder.rmdir()

    def _remove_partial_writes(self) -> None:
        """Remove the half-written checkpoints of a run killed while writing one (the lock says none is being written)."""
        if self.folder.is_dir():
            for leftover in self.folder.glob(".*.pt.*.partial"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def discard_checkpoints(weights_path: Path) -> None:
    """Remove the run checkpoints of the split whose weights go to ``weights_path`` (--restart of a Ray sweep,
    done once by the command so that a retried task goes on from its own new checkpoints)."""
    folder = run_folder_for(weights_path)
    if folder.is_dir():
        for path in [*folder.glob("*.pt"), *folder.glob(".*.pt.*.partial")]:
            log.info("%s: discarding the checkpoint (--restart)", path)
            path.unlink()
