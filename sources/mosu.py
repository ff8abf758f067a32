"""MoSu (introduced with TripleSumm, ICLR 2026; github smkim37/TripleSumm) as the commands see it.

52,678 videos labelled by YouTube's "Most replayed" curve, one row a second: mosu_gt.h5 (per video id
gt_score, gt_summary, change_points), the visual features mosu_feat_visual_clip.h5 (per video id, T x 768
CLIP) and mosu_split.json (train_keys, val_keys, test_keys). The release's text (RoBERTa) and audio (AST)
files are not read: every method here is visual-only. Scored by default under TripleSumm's protocol
(--protocol triplesumm); dataset/replay.py reads the files, sources/replay/ does the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sources.replay import FLAG_GROUP, LIMIT_FLAG, ROUTE, WORKERS_FLAG, PublishedRow, ReplaySource, protocol_flag
from sources.source import SplitScheme

if TYPE_CHECKING:
    from dataset.replay import ReplayFiles

MOSU = "MoSu"


def mosu_files(data_dir: Path, options: Mapping[str, Any]) -> ReplayFiles:
    """MoSu's files under ``data_dir`` (TripleSumm's layout, its visual features only)."""
    from dataset.replay import ReplayFiles

    return ReplayFiles.triplesumm("MoSu", "mosu", "clip", data_dir)


MOSU_SOURCE = ReplaySource(
    name=MOSU, scheme=SplitScheme.TRAIN_VAL_TEST, choice_help="MoSu's own train/val/test split, streamed from --data-dir's h5 files (visual features only)",
    flags=(protocol_flag("triplesumm"), LIMIT_FLAG, WORKERS_FLAG), flag_group=FLAG_GROUP,
    report_rows=("published MoSu rows (TripleSumm's table)",),
    protocol="TripleSumm's (Kendall tau, Spearman rho per video; mAP@50, mAP@15 of 5-row clips) or Mr.HiSum's (F1, mAP): --protocol",
    synthetic="sources.replay.synthetic:write_synthetic_mosu", route=ROUTE, complexity=False, ablation_on_ray=False,
    title="MoSu", files_function="sources.mosu:mosu_files", model_width=768,
    published=(PublishedRow("CSTA", "triplesumm", (("tau", 0.291), ("rho", 0.398), ("map50", 71.77), ("map15", 40.65)),
                            "TripleSumm's table, as quoted in the project's issue 26 (not re-checked against the paper here)"),),
)
