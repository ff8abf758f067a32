"""VideoXum (Lin et al., IEEE TMM 2023) as the commands see it: its declaration, read while the
command line is parsed (no torch here).

Its own train/val/test split (anno/{train,val,test}_videoxum.json) streamed from feature files
(feat/NAME/<video_id>.npz) by DataLoader workers; the epoch is chosen on the validation split and the
test split is scored once, with the V2V protocol (top 15% of the 1 fps frames against each
annotator's summary; tau and rho against the annotators' mean). The modules beside this one do the
work, reached by the commands through ``route`` (commands.py): data.py (reading and streaming),
training.py (train.py, its Ray tasks included), evaluation.py, comparison.py, report.py and
score_file.py (inference.py), ablation.py (ablate.py); dataset/videoxum.py reads the files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from config import EpochRule
from sources.source import DataSource, SourceFlag, SplitScheme

if TYPE_CHECKING:
    from engine.train.run_config import TrainingPlan

VIDEOXUM = "VideoXum"
VIDEOXUM_SPLIT = 1  # weights/VideoXum/split1.pt: VideoXum's one train/val/test split
# The feature folder (DATA_DIR/feat/<name>/) a run reads unless --features says otherwise: GoogLeNet
# pool5 at 1 fps, as features/ extracts them, the features CSTA used on SumMe and TVSum.
DEFAULT_FEATURES = "googlenet"
DEFAULT_WORKERS = 2  # DataLoader workers streaming the feature files (data.py)

_MISUSE = f"{{flag}} reads {VIDEOXUM}'s feature files: it needs --dataset {VIDEOXUM}"
FEATURES_FLAG = SourceFlag(
    "--features", "features", metavar="NAME", default=DEFAULT_FEATURES, misuse=_MISUSE.replace("{flag}", "--features"),
    help=f"with --dataset {VIDEOXUM}: the feature set, <data-dir>/feat/NAME/<video_id>.npz (default: {DEFAULT_FEATURES})",
)
WORKERS_FLAG = SourceFlag(
    "--workers", "workers", value=int, minimum=0, metavar="N", default=DEFAULT_WORKERS, misuse=_MISUSE.replace("{flag}", "--workers"),
    help=f"with --dataset {VIDEOXUM}: DataLoader worker processes that read the feature files "
    f"(default: {DEFAULT_WORKERS}; 0 reads them in the main process)",
)


@dataclass(frozen=True)
class VideoXumSource(DataSource):
    """VideoXum's declaration (see the module docstring)."""

    def refusal(self, given: Mapping[str, Any]) -> str | None:
        named = [flag for flag, value in (("--split", given.get("split")), ("--splits-file", given.get("splits_file")),
                                          ("--splits", given.get("splits") if given.get("splits") != "csta" else None)) if value is not None]
        if named:
            return f"{VIDEOXUM} has its own train/val/test split (anno/{{train,val,test}}_videoxum.json): leave out {', '.join(named)}"
        return None

    def rule_problem(self, rule: EpochRule) -> str | None:
        if rule.looks_at_test_labels:
            return (f"{VIDEOXUM} selects on its validation split, never on test labels (--select {rule.value}): use --select "
                    f"{EpochRule.BEST_ON_VALIDATION.value} (CSTA's rule on validation), loss-curve, min-loss or last")
        return None

    def plan_for(self, plan: TrainingPlan, videos_per_step: int | None) -> TrainingPlan:
        """A rule that looks at test labels (CSTA's, SummDiff's) becomes CSTA's rule on the validation split (the test split is scored
        once, at the end); one video per optimiser step unless --videos-per-step says otherwise (the authors'
        counts are for SumMe and TVSum). CA-SUM's sigma sweep is kept: its choice among sigmas compares the
        validation split's mean scores (features, not labels)."""
        rule = EpochRule.BEST_ON_VALIDATION if plan.rule.looks_at_test_labels else plan.rule
        return replace(plan, rule=rule, protocol=replace(plan.protocol, videos_per_step={VIDEOXUM: videos_per_step or 1}))


VIDEOXUM_SOURCE = VideoXumSource(
    name=VIDEOXUM, scheme=SplitScheme.TRAIN_VAL_TEST, choice_help="its own train/val/test split, read from --data-dir's anno/ and feat/",
    flags=(FEATURES_FLAG, WORKERS_FLAG), report_rows=("Human", "published V2V rows (evaluation/v2v.PUBLISHED_V2V)"),
    protocol="VideoXum V2V (top 15% of the 1 fps frames vs each annotator's vsum_onehot; tau, rho vs the annotators' mean)",
    synthetic="dataset.videoxum_synthetic:write_synthetic_videoxum",
    route="sources.videoxum.commands",
    complexity=False,  # --complexity counts MACs over SumMe's and TVSum's videos
    ablation_on_ray=False,  # its ablation runs stream with --workers; not wired as Ray tasks
    takes_sample_seeds=False,  # its V2V tables are per training seed only; --sample-seed S scores one draw
)
