"""The evaluation protocol: summaries from scores, knapsack, F1 and rank correlations (pure numpy)."""

from evaluation.knapsack import knapsack
from evaluation.metrics import f_score, rank_correlation
from evaluation.protocol import MeanMetrics, VideoMetrics, evaluate_video, mean_metrics
from evaluation.summary import frame_scores, generate_summary, select_shots, shot_scores, summary_budget

__all__ = [
    "MeanMetrics",
    "VideoMetrics",
    "evaluate_video",
    "f_score",
    "frame_scores",
    "generate_summary",
    "knapsack",
    "mean_metrics",
    "rank_correlation",
    "select_shots",
    "shot_scores",
    "summary_budget",
]
