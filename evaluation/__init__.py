"""The evaluation protocol: summaries from scores, knapsack, F1 and rank correlations (numpy and
scipy; no torch).

Names are loaded on first use, so that code needing only the summary construction (the video
pipeline) does not pay for importing scipy.
"""

import importlib

_EXPORTS = {
    "knapsack": "evaluation.knapsack",
    "f_score": "evaluation.metrics",
    "rank_correlation": "evaluation.metrics",
    "MeanMetrics": "evaluation.protocol",
    "VideoMetrics": "evaluation.protocol",
    "evaluate_video": "evaluation.protocol",
    "mean_metrics": "evaluation.protocol",
    "frame_scores": "evaluation.summary",
    "generate_summary": "evaluation.summary",
    "choose_shots": "evaluation.summary",
    "shot_scores": "evaluation.summary",
    "summary_budget": "evaluation.summary",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'evaluation' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
