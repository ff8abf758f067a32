"""Mr.HiSum (Sul et al., NeurIPS 2023 Datasets and Benchmarks; github MRHiSum/MR.HiSum) as the commands see it.

31,892 YouTube-8M videos labelled by YouTube's "Most replayed" curve, one row a second, 1024-d YouTube-8M RGB
features; its own train/val/test split (27,892 / 2,000 / 2,000) in mr_hisum_split.json, which users bring
(its licence is academic and non-commercial: not shipped here). Read in either release (--layout): the
authors' mr_hisum.h5, or TripleSumm's re-release (mrhisum_gt.h5 + mrhisum_feat_visual_inceptionv3.h5, 30,452
videos). Scored by default under Mr.HiSum's own protocol (--protocol mrhisum); dataset/replay.py reads the
files, sources/replay/ does the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sources.replay import FLAG_GROUP, LIMIT_FLAG, ROUTE, WORKERS_FLAG, PublishedRow, ReplaySource, protocol_flag
from sources.source import SourceFlag, SplitScheme

if TYPE_CHECKING:
    from dataset.replay import ReplayFiles

MRHISUM = "MrHiSum"
LAYOUTS = ("auto", "mrhisum", "triplesumm")
LAYOUT_FLAG = SourceFlag(
    "--layout", "replay_layout", choices=LAYOUTS, default="auto", metavar="{auto,mrhisum,triplesumm}",
    misuse="--layout says which release of Mr.HiSum --data-dir holds: it needs --dataset MrHiSum, not --dataset {dataset}",
    help="with --dataset MrHiSum: which release --data-dir holds: mrhisum (the authors' mr_hisum.h5 + mr_hisum_split.json), "
    "triplesumm (TripleSumm's mrhisum_gt.h5 + mrhisum_feat_visual_inceptionv3.h5 + mrhisum_split.json) or auto (the one present; "
    "default)",
)


def mrhisum_files(data_dir: Path, options: Mapping[str, Any]) -> ReplayFiles:
    """Mr.HiSum's files under ``data_dir`` in the release --layout names (auto: the one whose h5 is there)."""
    from dataset.errors import DataError
    from dataset.replay import ReplayFiles

    authors = ReplayFiles.mrhisum(data_dir)
    triplesumm = ReplayFiles.triplesumm("Mr.HiSum", "mrhisum", "inceptionv3", data_dir)
    layout = options.get("replay_layout") or "auto"
    if layout == "auto":
        present = [files for files in (authors, triplesumm) if files.labels.is_file()]
        if len(present) > 1:
            raise DataError(f"{data_dir} holds both releases of Mr.HiSum ({authors.labels.name} and {triplesumm.labels.name}): "
                            "choose one with --layout mrhisum or --layout triplesumm")
        if not present:
            raise DataError(f"no Mr.HiSum file in {data_dir}: put the authors' {authors.labels.name} and {authors.split.name} there "
                            f"(or TripleSumm's {triplesumm.labels.name}, {triplesumm.features.name} and {triplesumm.split.name})")
        return present[0]
    return authors if layout == "mrhisum" else triplesumm


MRHISUM_SOURCE = ReplaySource(
    name=MRHISUM, scheme=SplitScheme.TRAIN_VAL_TEST, choice_help="Mr.HiSum's own train/val/test split, streamed from --data-dir's h5 files",
    flags=(protocol_flag("mrhisum"), LIMIT_FLAG, WORKERS_FLAG, LAYOUT_FLAG), flag_group=FLAG_GROUP,
    report_rows=("published Mr.HiSum rows (the paper's table, where its protocol matches)",),
    protocol="Mr.HiSum's (F1 of the 15% knapsack vs gt_summary; mAP@50, mAP@15 of 5-row clips) or TripleSumm's (tau, rho, mAP): --protocol",
    synthetic="sources.replay.synthetic:write_synthetic_mrhisum", route=ROUTE, complexity=False, ablation_on_ray=False,
    title="Mr.HiSum", files_function="sources.mrhisum:mrhisum_files", model_width=1024,
    releases=((("replay_layout", "mrhisum"),), (("replay_layout", "triplesumm"),)),
    published=(
        PublishedRow("PGL-SUM", "mrhisum", (("f1", 55.89), ("map50", 61.60), ("map15", 27.45)), "the Mr.HiSum paper, as quoted in the project's issue 26 (not re-checked against the paper here)"),
        PublishedRow("CSTA", "triplesumm", (("tau", 0.178),), "TripleSumm's table, as quoted in the project's issue 26 (not re-checked against the paper here)"),
        PublishedRow("SummDiff", "triplesumm", (("tau", 0.175), ("rho", 0.238)), "SummDiff, as quoted in the project's issue 26 (not re-checked against the paper here)"),
    ),
)
