"""Summary videos from raw footage: frame features, KTS shots, CSTA scores, knapsack selection."""
