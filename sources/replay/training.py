"""Training a method on Mr.HiSum or MoSu: what differs from SumMe and TVSum, for the one loop of engine/train/loop.py.

The loop, its checkpoints, torchrun and Ray are those of every data set; what a Most-replayed set brings is
its SplitData (``ReplaySplitData``):

- the training videos are streamed from the h5 files by DataLoader workers in each epoch's order;
- after every epoch the validation split is scored under both published protocols (the history's F1 is
  Mr.HiSum's, its tau and rho TripleSumm's, so every curve shows the same columns), and the run's protocol
  (--protocol) chooses the epochs to keep by its own rule (evaluation/replay_metrics.chosen_epochs): Mr.HiSum's
  keeps one checkpoint per metric (f1, map50, map15; a later equal epoch wins), TripleSumm's one (best tau + rho).
  ``ProtocolKeeper`` holds them, and is saved in the run's checkpoint, so a resumed run keeps the same ones;
- once training ends, each kept checkpoint is scored once on the test split; each metric is reported from
  its own checkpoint (Mr.HiSum's solver tests each of its three), and the record names the protocol.

The weights are <weights>/<name>/[seed<S>/]split1.pt (the protocol's first checkpoint: Mr.HiSum's f1, TripleSumm's
tau+rho), with split1_<key>.pt beside it for the other checkpoints (Mr.HiSum's map50 and map15).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.run_outputs import ClaimedOutputs, Fallback, claim_outputs
from engine.run_paths import training_outputs, weights_path_for
from engine.scale.own_split_runs import train_seeds_on_ray
from engine.train.fine_tune import init_record
from engine.train.loop import (
    HeldOut,
    SplitData,
    SplitTraining,
    TrainingVideos,
    finished_training,
    length_factor_entries,
    train_on,
    trunk_init,
)
from engine.train.resume import RunFingerprint, fingerprint_for
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import TrainingPlan
from evaluation.protocol import MeanMetrics
from evaluation.replay_metrics import NoEpochChosenError, ReplayProtocol, chosen_epochs
from models.backbone import trunk_origin
from models.checkpoint import save_checkpoint
from sources.replay import REPLAY_SPLIT
from sources.replay.data import ReplayData, ReplayRequest
from sources.replay.evaluation import mean_scores, score_split
from sources.source import RouteRequest
from sources.streaming import StreamedTrainingVideos

log = logging.getLogger(__name__)

BOTH = (ReplayProtocol.MRHISUM, ReplayProtocol.TRIPLESUMM)


def checkpoint_keys(protocol: ReplayProtocol) -> list[str]:
    """The checkpoints ``protocol`` keeps, in its order (the first is the one split1.pt holds)."""
    return [name for name, _ in protocol.selection.checkpoints]


def checkpoint_path(weights_path: Path, protocol: ReplayProtocol, key: str) -> Path:
    """split1.pt for the protocol's first checkpoint, split1_<key>.pt for the others."""
    if key == checkpoint_keys(protocol)[0]:
        return Path(weights_path)
    safe = "".join(c if c.isalnum() else "_" for c in key)
    return Path(weights_path).with_name(f"{Path(weights_path).stem}_{safe}.pt")


def remove_stale_checkpoints(weights_path: Path, protocol: ReplayProtocol) -> list[Path]:
    """Remove the extra checkpoints that a run under another protocol left beside ``weights_path`` (split1_map50.pt and
    split1_map15.pt of a --protocol mrhisum run, once a --protocol triplesumm run has replaced its split1.pt): they belong
    to weights that are gone and would read as this run's. Called when this run's checkpoints are written; returns the
    files removed."""
    own = {checkpoint_path(weights_path, protocol, key) for key in checkpoint_keys(protocol)}
    others = [checkpoint_path(weights_path, other, key) for other in ReplayProtocol for key in checkpoint_keys(other)[1:]]
    removed = [path for path in dict.fromkeys(others) if path not in own and path.is_file()]
    for path in removed:
        path.unlink()
    return removed


def checkpoint_for_metric(protocol: ReplayProtocol, metric: str) -> str:
    """The checkpoint whose test number is reported for ``metric``: its own where the protocol keeps one per metric."""
    keys = checkpoint_keys(protocol)
    return metric if metric in keys else keys[0]


@dataclass
class _Latest:
    """The protocol's validation numbers of the epoch just scored, handed from the held-out scoring (rank 0) to the keeper."""

    values: dict[str, float] | None = None

    def take(self) -> dict[str, float] | None:
        values, self.values = self.values, None
        return values


class ProtocolKeeper:
    """The weights of every epoch the protocol's rule may still keep (engine.train.epoch.RuleKeeper's role).

    Offered every epoch in order, after the validation split was scored; ``by_key()`` at the end gives each
    checkpoint's epoch and weights. Its state goes into the run's checkpoint (plain values and tensors).
    On torchrun's ranks other than 0, which score nothing, it keeps the last epoch (their weights are not written).
    """

    def __init__(self, protocol: ReplayProtocol, latest: _Latest) -> None:
        self.protocol, self.latest = protocol, latest
        self.losses: list[float] = []
        self.validation: list[dict[str, float]] = []
        self.states: dict[int, dict[str, torch.Tensor]] = {}

    def offer(self, model: nn.Module, loss: float, kendall: float = float("nan"), spearman: float = float("nan")) -> bool:
        self.losses.append(loss)
        epoch = len(self.losses)
        values = self.latest.take()
        if values is not None:  # rank 0 (torchrun's other ranks score nothing)
            self.validation.append(values)
        keep = set(self._chosen().values()) | {epoch}  # the last epoch too: kept when no epoch qualifies (all NaN)
        if epoch in keep:
            self.states[epoch] = {key: copy.deepcopy(value.detach()).cpu() for key, value in model.state_dict().items()}
        self.states = {e: state for e, state in self.states.items() if e in keep}
        return epoch in set(self._chosen().values())

    def _chosen(self) -> dict[str, int]:
        """Each checkpoint's epoch (from 1) so far; empty when none qualifies yet (NaN numbers) or on other ranks."""
        if not self.validation or len(self.validation) != len(self.losses):
            return {}
        try:
            return {key: index + 1 for key, index in chosen_epochs(self.protocol, self.validation).items()}
        except NoEpochChosenError:
            return {}

    def by_key(self) -> dict[str, tuple[int, dict[str, torch.Tensor]]]:
        """Each checkpoint's epoch (from 1) and weights; the last epoch's where the rule found none (logged)."""
        chosen, last = self._chosen(), len(self.losses)
        if not chosen and self.validation:
            log.warning("%s: no epoch gave finite validation numbers; keeping the last epoch (%d) for every checkpoint", self.protocol.value, last)
        return {key: (chosen.get(key, last), self.states[chosen.get(key, last)]) for key in checkpoint_keys(self.protocol)}

    def chosen(self) -> tuple[int | None, dict[str, torch.Tensor] | None]:
        """The first checkpoint's epoch and weights (split1.pt)."""
        epoch, state = next(iter(self.by_key().values()))
        return epoch, state

    def state_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol.value, "losses": self.losses, "validation": self.validation, "states": self.states}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state["protocol"] != self.protocol.value:
            raise ValueError(f"a keeper of protocol {state['protocol']!r} cannot resume as one of {self.protocol.value!r}")
        self.losses, self.validation = list(state["losses"]), [dict(row) for row in state["validation"]]
        self.states = {int(epoch): weights for epoch, weights in state["states"].items()}


@dataclass
class ReplayTraining(SplitTraining):
    """A Most-replayed run: ``metrics`` and ``history`` are the validation split's; ``checkpoints`` each kept one's numbers."""

    protocol: str = ""
    checkpoints: dict[str, dict] = field(default_factory=dict)  # key -> epoch, weights, validation, test
    test: dict[str, float] = field(default_factory=dict)  # each metric from its own checkpoint
    feature_dim: int = 0
    synthetic: bool = False


def _history_metrics(scored: Any) -> MeanMetrics:
    """The columns every history and curve has: Mr.HiSum's F1, TripleSumm's tau and rho."""
    mrhisum, triplesumm = scored.means(ReplayProtocol.MRHISUM), scored.means(ReplayProtocol.TRIPLESUMM)
    return MeanMetrics(mrhisum["f1"], triplesumm["tau"], triplesumm["rho"])


class ReplaySplitData(SplitData):
    """A Most-replayed set's split for engine.train.loop.train_on (see the module docstring)."""

    def __init__(self, data: ReplayData) -> None:
        request = data.request
        self.data, self.request = data, request
        self.name, self.number, self.synthetic = request.name, REPLAY_SPLIT, data.synthetic
        self.protocol = ReplayProtocol(request.protocol)
        self.feature_dim = data.feature_dim
        self.latest = _Latest()
        self.keepers: list[ProtocolKeeper] = []

    def fingerprint(self, plan: TrainingPlan, processes: int) -> RunFingerprint:
        request = self.request
        digest = hashlib.sha256(json.dumps({"files": request.files.stamp(), "layout": request.files.layout.value, "protocol": self.protocol.value,
                                            "limit": request.limit}).encode())
        keys = {"train": self.data.train.keys, "val": self.data.val.keys, "test": self.data.test.keys}
        return fingerprint_for(self.name, self.number, plan, digest.hexdigest(), keys, processes)

    def keeper(self, plan: TrainingPlan) -> ProtocolKeeper:
        keeper = ProtocolKeeper(self.protocol, self.latest)
        self.keepers.append(keeper)
        return keeper

    def _validate(self, model: nn.Module, device: torch.device) -> MeanMetrics:
        scored = score_split(model, self.data.val, device, self.request.workers, BOTH, progress="validation")
        self.latest.values = scored.means(self.protocol)
        return _history_metrics(scored)

    def open(self, device: torch.device) -> tuple[TrainingVideos, HeldOut]:
        data, workers = self.data, self.request.workers
        counts = data.counts()
        log.info("%s (%s): %d train / %d validation / %d test videos%s, %d-dimensional features, protocol: %s%s", self.name,
                 self.request.files.layout.value, counts["train"], counts["val"], counts["test"],
                 f" (--limit {self.request.limit})" if self.request.limit else "", self.feature_dim, self.protocol.title,
                 " (SYNTHETIC data)" if self.synthetic else "")
        return (StreamedTrainingVideos(data.train, device, workers),
                HeldOut("validation", lambda model: self._validate(model, device), lambda model: mean_scores(model, data.val, device, workers)))

    def _keeper_of(self, plan: TrainingPlan, length_factor: float | None) -> ProtocolKeeper:
        factors = list(plan.length_factors())
        return self.keepers[factors.index(length_factor)]

    def finish(self, result: SplitTraining, state: dict[str, torch.Tensor], plan: TrainingPlan,
               device: torch.device) -> tuple[SplitTraining, dict]:
        """Each kept checkpoint written (the first is already, as split1.pt) and scored once on the test split."""
        keeper = self._keeper_of(plan, result.length_factor)
        with torch.random.fork_rng(devices=[]):  # building the model draws initial weights: leave the generators as they were
            model = plan.spec.build(plan.model_config, None, device)
        checkpoints = {}
        for key, (epoch, kept) in keeper.by_key().items():
            path = checkpoint_path(result.weights_path, self.protocol, key)
            if path != Path(result.weights_path):
                save_checkpoint(kept, path)
            model.load_state_dict(kept)
            test = score_split(model, self.data.test, device, self.request.workers, (self.protocol,), progress=f"test ({key})")
            checkpoints[key] = {"epoch": epoch, "weights": str(path), "validation": keeper.validation[epoch - 1] if keeper.validation else None,
                                "test": test.means(self.protocol)}
        reported = {metric: checkpoints[checkpoint_for_metric(self.protocol, metric)]["test"][metric] for metric in self.protocol.metrics}
        stale = remove_stale_checkpoints(result.weights_path, self.protocol)
        if stale:
            log.warning("removed %s: another protocol's checkpoints of the run this %s run replaced", ", ".join(map(str, stale)),
                        self.protocol.value)
        done = ReplayTraining(**{item.name: getattr(result, item.name) for item in fields(SplitTraining)}, protocol=self.protocol.value,
                              checkpoints=checkpoints, test=reported, feature_dim=self.feature_dim, synthetic=self.synthetic)
        return done, replay_record(done, self.data, device)

    def finished(self, record: dict, weights_path: Path, plan: TrainingPlan) -> SplitTraining:
        base = finished_training(record, weights_path, plan)
        return ReplayTraining(**{item.name: getattr(base, item.name) for item in fields(SplitTraining)}, protocol=record["evaluation_protocol"],
                              checkpoints=record["checkpoints"], test=record["test"], feature_dim=record["feature_dim"],
                              synthetic=record["synthetic_data"])

    def curve_title(self, plan: TrainingPlan, length_factor: float | None) -> str:
        return (f"{plan.method} {self.name}, seed {plan.seed}" + (f", sigma {length_factor:g}" if length_factor is not None else "")
                + " (validation: Mr.HiSum F1, TripleSumm tau/rho)" + (" (SYNTHETIC data)" if self.synthetic else ""))


def replay_record(result: ReplayTraining, data: ReplayData, device: torch.device) -> dict:
    """The JSON record beside the weights: what inference.py rebuilds the model from, which protocol made each number."""
    plan, request = result.plan, data.request
    trunk = plan.spec.trunk_spec(plan.model_config)
    backbone = ({"backbone": trunk_origin(trunk_init(plan), trunk).describe(trunk), "backbone_origin": trunk_origin(trunk_init(plan), trunk).value}
                if trunk is not None else {"backbone": f"none ({plan.method} has no CNN trunk)"})
    protocol = ReplayProtocol(result.protocol)
    choice = ", ".join(f"{key}: epoch {entry['epoch']}" for key, entry in result.checkpoints.items())
    return {
        "dataset": request.name,
        "split": REPLAY_SPLIT,
        "synthetic_data": result.synthetic,
        "data_files": [str(path) for path in request.files.paths],
        "layout": request.files.layout.value,
        "limit": request.limit,
        "videos": data.counts(),
        "left_out_fewer_rows_than_a_clip": data.left_out(),
        "feature_dim": result.feature_dim,
        **backbone,
        "device": str(device),
        "train_config": {"epochs": plan.protocol.epochs, "learning_rate": plan.protocol.learning_rate, "weight_decay": plan.protocol.weight_decay,
                         "seed": plan.protocol.seed, "imagenet_init": plan.imagenet_init},
        **plan.as_record(),
        "selection": f"{protocol.title}'s rule on the validation split ({choice}); no test labels",
        **init_record(plan, REPLAY_SPLIT),
        "evaluation_protocol": protocol.value,
        "evaluation_protocol_title": protocol.title,
        "best_epoch": result.best_epoch,
        "metrics_split": "validation",  # "metrics" and "history": validation, Mr.HiSum's F1 and TripleSumm's tau and rho
        "metrics": result.metrics.as_dict(),
        "checkpoints": result.checkpoints,
        "test": result.test,
        "test_note": (f"{protocol.title}: each metric from its own checkpoint, chosen on validation; every checkpoint scored "
                      "once on the test split after training, the mean over videos"),
        "history": [asdict(epoch) for epoch in result.history],
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        **length_factor_entries(result, "validation"),
    }


def train_replay(data: ReplayData, plan: TrainingPlan, device: torch.device, weights_dir: Path, fallback: Fallback | None = None,
                 seed_folder: bool = False, resume: ResumePolicy = ResumePolicy.AUTO) -> ReplayTraining:
    """Train a fresh model as ``plan`` says on the train split, its epochs kept by the protocol's rule on validation,
    each kept checkpoint scored once on test. Resumable, and under torchrun shared out over the ranks."""
    run = ReplaySplitData(data)
    result = train_on(run, plan.sized_for(run.feature_dim), device, weights_dir, seed_folder, fallback, resume)
    return result if isinstance(result, ReplayTraining) else ReplayTraining(
        **{item.name: getattr(result, item.name) for item in fields(SplitTraining)}, protocol=run.protocol.value,
        feature_dim=run.feature_dim, synthetic=run.synthetic)  # torchrun's other ranks: no scores, nothing written


def replay_weights(weights_dir: Path, name: str, protocol: ReplayProtocol, seed: int | None) -> list[Path]:
    """Every weights file of one run: split1.pt and the protocol's other checkpoints."""
    weights = weights_path_for(weights_dir, name, REPLAY_SPLIT, seed)
    return [checkpoint_path(weights, protocol, key) for key in checkpoint_keys(protocol)]


def claim_replay_outputs(request: RouteRequest, plan: TrainingPlan, seeds: list[int], replay: ReplayRequest,
                         main: bool = True) -> tuple[ReplayData, ClaimedOutputs]:
    """Open and check the three splits (a missing file, field or video stops the run here), check that the train
    split fills one optimiser step, and claim every output (only ``main``: torchrun's rank 0 writes)."""
    data = replay.open()
    plan.check_training_set(replay.name, REPLAY_SPLIT, len(data.train))
    if not main:
        return data, ClaimedOutputs()
    several = len(seeds) > 1
    protocol = ReplayProtocol(replay.protocol)
    runs = [replay_weights(request.data.weights_dir, replay.name, protocol, seed if several else None) for seed in seeds]
    outputs = [path for files in runs for path in [*training_outputs(files[0]), *files[1:]]]
    return data, claim_outputs(outputs, inputs=replay.input_files(), lock=[files[0] for files in runs])


def log_replay_result(result: ReplayTraining) -> None:
    """The kept checkpoints and their validation and test numbers, for the log (rank 0's)."""
    if not result.checkpoints:
        return
    protocol = ReplayProtocol(result.protocol)
    synthetic = " (SYNTHETIC data)" if result.synthetic else ""
    log.info("%s %s%s: %s -> %s", result.plan.method, result.dataset, synthetic, protocol.title, result.weights_path)
    for key, entry in result.checkpoints.items():
        log.info("  checkpoint %s (epoch %d, chosen on validation): validation %s | test %s", key, entry["epoch"],
                 _numbers(entry["validation"]), _numbers(entry["test"]))
    log.info("  reported (test, each metric from its own checkpoint): %s", _numbers(result.test))


def _numbers(values: Mapping[str, float] | None) -> str:
    return "n/a" if not values else ", ".join(f"{name} {value:.4f}" for name, value in values.items())


def train_replay_on_ray(request: RouteRequest, plan: TrainingPlan, data: ReplayData, seeds: list[int], fallback: Fallback) -> list[ReplayTraining]:
    """One run per seed, each a Ray task that opens the data itself (engine/scale/own_split_runs.py); the results in the seeds' order."""
    return train_seeds_on_ray(data.request, train_replay, data.request.name, REPLAY_SPLIT, plan, seeds, request.data.weights_dir,
                              request.resume, request.sweep, fallback)
