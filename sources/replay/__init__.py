"""What Mr.HiSum and MoSu share as the commands see them: a data set labelled by YouTube's "Most replayed"
statistics, one train/val/test split streamed from h5 files, scored under a named published protocol.
Read while the command line is parsed (no torch, numpy or h5py here).

Each data set declares itself in its own module (sources/mrhisum.py, sources/mosu.py) as a ``ReplaySource``;
the work is done by the modules beside this one, reached through ``route`` (commands.py): data.py (files,
splits, streaming), training.py (train.py, Ray tasks included), evaluation.py and outputs.py (inference.py).
The protocols themselves are evaluation/replay_metrics.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import EpochRule
from sources.source import DataSource, SourceFlag

if TYPE_CHECKING:
    from dataset.replay import ReplayFiles
    from engine.train.run_config import TrainingPlan

REPLAY_SPLIT = 1  # weights/<name>/split1.pt: the one train/val/test split
DEFAULT_WORKERS = 2  # DataLoader workers reading the h5 files
PROTOCOLS = ("mrhisum", "triplesumm")  # evaluation/replay_metrics.ReplayProtocol's values
FLAG_GROUP = "Mr.HiSum and MoSu (--dataset MrHiSum or MoSu)"
ROUTE = "sources.replay.commands"


def _misuse(option: str) -> str:
    return f"{option} is for the Most-replayed data sets: it needs --dataset MrHiSum or MoSu, not --dataset {{dataset}}"


def protocol_flag(default: str) -> SourceFlag:
    """--protocol, whose default is the data set's authors' protocol."""
    return SourceFlag("--protocol", "replay_protocol", choices=PROTOCOLS, default=default, metavar="{mrhisum,triplesumm}",
                      misuse=_misuse("--protocol"),
                      help="the published protocol that scores the run and chooses its epoch on validation: mrhisum (F1 of the 15%% "
                      "knapsack, mAP@50, mAP@15; one checkpoint per metric) or triplesumm (Kendall tau, Spearman rho, mAP@50, mAP@15; "
                      "the epoch of the best tau + rho) (default: the data set's authors' one: MrHiSum mrhisum, MoSu triplesumm)")


LIMIT_FLAG = SourceFlag("--limit", "limit", value=int, minimum=1, metavar="N", misuse=_misuse("--limit"),
                        help="the first N videos of each split only (quick runs; the record says so)")
WORKERS_FLAG = SourceFlag("--workers", "workers", value=int, minimum=0, metavar="N", default=DEFAULT_WORKERS, misuse=_misuse("--workers"),
                          help=f"DataLoader worker processes that read the h5 files (default: {DEFAULT_WORKERS}; 0 reads them in the main process)")


@dataclass(frozen=True)
class PublishedRow:
    """A published figure on a Most-replayed set, under the protocol that produced it (values by the protocol's metric names)."""

    method: str
    protocol: str  # "mrhisum" or "triplesumm"
    values: tuple[tuple[str, float], ...]
    source: str


@dataclass(frozen=True)
class ReplaySource(DataSource):
    """A Most-replayed data set's declaration: its own train/val/test split, streamed, scored under a named protocol."""

    title: str = ""  # "Mr.HiSum", in words
    files_function: str = ""  # "module:function" (data_dir, options) -> dataset.replay.ReplayFiles (imported when a run asks)
    model_width: int = 1024  # the features' width in the release (CSTA's model is sized from the file's)
    published: tuple[PublishedRow, ...] = ()  # rows the comparison table shows beside ours, under their protocol only
    # the flag values (by dest) of each release whose label file score.py recognises: ((),) when there is one release
    releases: tuple[tuple[tuple[str, str], ...], ...] = ((),)

    def files(self, data_dir: Path, options: Mapping[str, Any]) -> ReplayFiles:
        """Where this data set's files are under ``data_dir`` (imported now: it needs h5py)."""
        import importlib

        module, _, function = self.files_function.partition(":")
        return getattr(importlib.import_module(module), function)(Path(data_dir), options)

    @property
    def default_protocol(self) -> str:
        """The data set's authors' protocol (--protocol's default)."""
        return next(flag.default for flag in self.flags if flag.dest == "replay_protocol")

    def _release_of(self, path: Path) -> ReplayFiles | None:
        """The files of the release whose label file ``path`` is (by its name, in its folder), or None."""
        path = Path(path)
        for options in self.releases:
            files = self.files(path.parent, dict(options))
            if files.labels.name == path.name:
                return files
        return None

    def owns_labels(self, path: Path) -> bool:
        return self._release_of(path) is not None

    def score_labels(self, labels: Path, predictions: Path, options: Mapping[str, Any]) -> Any:
        """Scores of any method on this data set's label file, under --protocol (default: the authors'), per video and
        overall (sources/replay/score_file.py); --f1 is refused (one gt_summary per video, no annotators to reduce over)."""
        from dataset.errors import DataError
        from evaluation.replay_metrics import ReplayProtocol
        from sources.replay.score_file import score_replay_predictions

        if options.get("f1") is not None:
            raise DataError(f"--f1 chooses how F1 is reduced over annotators; {self.title} has one gt_summary per video: leave it out")
        files = self._release_of(labels)
        if files is None:
            raise DataError(f"{labels} is not one of {self.title}'s label files")
        return score_replay_predictions(files, Path(predictions), ReplayProtocol(options.get("replay_protocol") or self.default_protocol))

    def refusal(self, given: Mapping[str, Any]) -> str | None:
        named = [flag for flag, value in (("--split", given.get("split")), ("--splits-file", given.get("splits_file")),
                                          ("--splits", given.get("splits") if given.get("splits") != "csta" else None)) if value is not None]
        if named:
            return f"{self.name} has its own train/val/test split (its split file's train_keys/val_keys/test_keys): leave out {', '.join(named)}"
        return None

    def rule_problem(self, rule: EpochRule) -> str | None:
        if rule is not EpochRule.BEST_ON_VALIDATION:
            return (f"{self.name}'s epochs are chosen on its validation split by the protocol's own rule (--protocol), never on test "
                    f"labels: --select {rule.value} does not apply (leave it out, or give --select validation)")
        return None

    def plan_for(self, plan: TrainingPlan, videos_per_step: int | None) -> TrainingPlan:
        """Every method's epochs chosen on validation (the protocol's rule decides which: training.ProtocolKeeper; the
        record says so); the videos per optimiser step its authors give for this data set (SummDiff's 256 on Mr.HiSum),
        else one, unless --videos-per-step says otherwise."""
        per_step = videos_per_step or plan.protocol.videos_per_step_for(self.name)
        return replace(plan, rule=EpochRule.BEST_ON_VALIDATION, protocol=replace(plan.protocol, videos_per_step={self.name: per_step}))
