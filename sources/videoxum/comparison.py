"""inference.py --dataset VideoXum's table: each weights folder's row (mean ± std over seeds), VideoXum's
published rows with their source, and the Human row, each with the rule that chose its epoch, in
VideoXum's own V2V columns (TABLE_METRICS). SumMe's and TVSum's tables are engine/evaluate/method_comparison.py's;
comparison_json writes either.
"""

from __future__ import annotations

from dataclasses import dataclass

from config import EpochRule
from engine.evaluate.method_comparison import rule_of, test_labels_cell
from evaluation.v2v import PUBLISHED_V2V
from sources.videoxum import VIDEOXUM
from sources.videoxum.evaluation import TABLE_METRICS, VideoXumEvaluation, VideoXumFolder

# VideoXum's train_v2vt_sum.py evaluates the validation and test splits once, after the last epoch (max_epoch).
VIDEOXUM_PUBLISHED_RULE = EpochRule.LAST
_VIDEOXUM_RULE_SOURCE = "epoch: the last (max_epoch), as github.com/jylins/videoxum train_v2vt_sum.py evaluates"
V2V_COLUMNS = ("F1 max", "F1 mean", "F1 (published)", "Kendall tau", "Spearman rho", "tau each (mean)", "rho each (mean)")


@dataclass(frozen=True)
class V2VRow:
    """A row of the VideoXum table: ``values`` by TABLE_METRICS name (None: not computed or not stated)."""

    name: str
    kind: str  # "here", "published" or "baseline"
    values: dict[str, float | None]
    f1_published: float | None  # a published row's F1, which VideoXum does not say is F1 max or F1 mean
    std: dict[str, float] | None  # over seeds (ddof 1), with several seeds
    runs: int
    rule: str
    looks_at_test_labels: bool | None
    note: str


@dataclass(frozen=True)
class V2VComparison:
    dataset: str
    synthetic: bool
    features: str
    n_videos: int
    rows: tuple[V2VRow, ...]


def v2v_here_row(folder: VideoXumFolder) -> V2VRow:
    """A weights folder's row: mean over seeds (± std with several), its models and the rules that chose its epochs."""
    runs = folder.runs
    models = list(dict.fromkeys(run.model.describe() for run in runs))
    rule, looks = rule_of({run.rule for run in runs})
    spread = folder.spread
    seeds = f"; mean ± std over seeds {', '.join(map(str, spread.seeds))}" if spread.std else ""
    return V2VRow(f"{' + '.join(models)}, here", "here", {name: getattr(spread.mean, name) for name in TABLE_METRICS}, None,
                  {name: getattr(spread.std, name) for name in TABLE_METRICS} if spread.std else None, len(runs), rule, looks,
                  f"{folder.folder}{seeds}")


def v2v_comparison(evaluation: VideoXumEvaluation) -> V2VComparison:
    """The rows: each folder's, VideoXum's published ones, then Human on the same test videos.

    No Random row: under V2V its expected tau and rho are 0 and its F1 is the annotators' summary
    share, and drawing it over thousands of videos would cost more than the evaluation.
    """
    here = [v2v_here_row(folder) for folder in evaluation.folders]
    rule = VIDEOXUM_PUBLISHED_RULE
    published = [V2VRow(f"{p.method}, as published", "published", {"kendall": p.kendall, "spearman": p.spearman}, p.f1, None, 0, rule.label,
                        rule.looks_at_test_labels, f"{p.source}; {_VIDEOXUM_RULE_SOURCE}; BLIP features") for p in PUBLISHED_V2V]
    human = evaluation.human
    rows = [V2VRow("Human", "baseline", {name: getattr(human, name) for name in TABLE_METRICS}, None, None, 0, "none (no training)", None,
                   f"{human.n_videos} test videos; annotators' leave-one-out agreement, from vsum_onehot")]
    return V2VComparison(VIDEOXUM, evaluation.synthetic, evaluation.features, human.n_videos, tuple(here + published + rows))


def _v2v_cells(row: V2VRow) -> list[str]:
    cells = []
    for name, digits in zip(TABLE_METRICS, (2, 2, 3, 3, 3, 3), strict=True):
        value = row.values.get(name)
        text = ("not stated" if row.kind == "published" and name in ("kendall", "spearman") else "-") if value is None else f"{value:.{digits}f}"
        cells.append(text + (f" ± {row.std[name]:.{digits}f}" if row.std and value is not None else ""))
    published = "-" if row.f1_published is None else f"{row.f1_published:.1f}"
    return [*cells[:2], published, *cells[2:]]


def v2v_comparison_table(comparison: V2VComparison) -> str:
    """The VideoXum rows as a Markdown table, its warnings above it and what the columns mean below."""
    synthetic = "  [SYNTHETIC data, not the real benchmark: not comparable with the published rows]" if comparison.synthetic else ""
    lines = [f"## {comparison.dataset}, test split, V2V protocol{synthetic}", "",
             f"| row | {' | '.join(V2V_COLUMNS)} | selection rule | test labels | note |", "|---|" + "---|" * (len(V2V_COLUMNS) + 3)]
    for row in comparison.rows:
        lines.append(f"| {row.name} | {' | '.join(_v2v_cells(row))} | {row.rule} | {test_labels_cell(row.looks_at_test_labels)} | {row.note} |")
    lines += ["", f"{comparison.n_videos} test videos, '{comparison.features}' features. F1 in percent: the top 15% of the 1 fps frames "
              "against each annotator's summary, max and mean over the annotators, as VideoXum computes them; tau and rho: against "
              "the annotators' mean summary (NaN as 0), VideoXum's published correlations; 'each' columns: against each annotator's "
              "0/1 summary (not what VideoXum publishes). The published F1 does not say whether it is F1 max or F1 mean; published "
              "rows use BLIP features, the rows here the features named."]
    return "\n".join(lines)
