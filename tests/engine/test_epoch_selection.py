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


def test_a_keeper_saved_halfway_and_loaded_keeps_the_same_epochs(tmp_path):
    """What a resumed run relies on: the state survives torch.save/load(weights_only) and decides alike."""
    net = torch.nn.Linear(1, 1)
    first, second = [(0.1, 0.1), (0.3, 0.3), (0.2, 0.4)], [(0.35, 0.35), (0.4, 0.2), (0.5, 0.5)]
    whole = BestEpochKeeper()
    kept = [whole.offer(epoch, MeanMetrics(1, tau, rho), net) for epoch, (tau, rho) in enumerate(first + second, 1)]
    halfway = BestEpochKeeper()
    for epoch, (tau, rho) in enumerate(first, 1):
        halfway.offer(epoch, MeanMetrics(1, tau, rho), net)
    torch.save(halfway.state_dict(), tmp_path / "keeper.pt")
    resumed = BestEpochKeeper()
    resumed.load_state_dict(torch.load(tmp_path / "keeper.pt", weights_only=True))
    assert resumed.epoch == 2 and resumed.metrics == MeanMetrics(1, 0.3, 0.3)
    again = [resumed.offer(epoch, MeanMetrics(1, tau, rho), net) for epoch, (tau, rho) in enumerate(second, 4)]
    assert again == kept[3:] == [True, False, True]
    assert resumed.state_dict().keys() == whole.state_dict().keys() and resumed.metrics == whole.metrics
