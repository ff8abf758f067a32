"""engine/epoch_selection.py: which epoch's weights are kept."""

import torch

from engine.epoch_selection import BestEpochKeeper
from evaluation.protocol import MeanMetrics


def test_keeper_needs_both_tau_and_rho_to_improve():
    keeper = BestEpochKeeper()
    net = torch.nn.Linear(1, 1)
    sequence = [(0.10, 0.10), (0.20, 0.05), (0.15, 0.15), (0.15, 0.30), (0.30, 0.20), (float("nan"), 0.9), (0.31, 0.31)]
    kept = [keeper.offer(epoch, MeanMetrics(0, tau, rho), net) for epoch, (tau, rho) in enumerate(sequence, 1)]
    assert kept == [True, False, True, False, True, False, True]
    assert keeper.epoch == 7
