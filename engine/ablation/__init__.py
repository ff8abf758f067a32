"""The ablation study: a grid of CSTA variants trained and tabulated."""
