"""Scoring weights: running a model over a split, the evaluation of weights files, saved predictions, comparisons, complexity, spread over seeds."""
