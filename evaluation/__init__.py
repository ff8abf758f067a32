"""The evaluation protocol: summaries from scores, knapsack, F1 and rank correlations (numpy and
scipy; no torch). Import the modules themselves (``evaluation.summary``, ``evaluation.protocol``, ...):
the video pipeline needs only the summary construction and does not pay for importing scipy."""
