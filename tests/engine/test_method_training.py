"""engine/method_training.py: accumulated optimiser steps, epoch order, and the rule keeper."""

from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from engine.method_training import RuleKeeper, TooFewTrainingVideos, epoch_order, train_epoch_accumulated
from models.methods import EpochRule, Loss, Shuffle, select_epoch

FLAT = [1.0] * 17  # epochs 1-17 (0-based 0-16): nothing happens


@dataclass
class Clip:
    features: torch.Tensor
    gtscore: torch.Tensor


def clips(n, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [Clip(torch.rand(5 + i, 8, generator=generator), torch.rand(5 + i, generator=generator)) for i in range(n)]


def scorer():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 1), nn.Sigmoid(), nn.Flatten(0))


def test_gradients_of_a_step_are_summed_over_its_videos():
    videos = clips(3)
    model, reference = scorer(), scorer()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train_epoch_accumulated(model, optimizer, videos, Loss.GTSCORE_MSE, videos_per_step=3, order=[2, 0, 1])
    total = sum(Loss.GTSCORE_MSE(reference(v.features), v.gtscore) for v in videos)  # summed, not averaged
    total.backward()
    for trained, start in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(trained, start - 0.1 * start.grad)


def test_clipping_bounds_the_summed_gradient():
    videos = clips(4)
    model = scorer()
    start = [p.detach().clone() for p in model.parameters()]
    train_epoch_accumulated(model, torch.optim.SGD(model.parameters(), lr=1.0), videos, Loss.GTSCORE_MSE, 4,
                            grad_clip_norm=1e-3, order=range(4))
    step = torch.cat([(p.detach() - s).flatten() for p, s in zip(model.parameters(), start, strict=True)])
    assert step.norm().item() == pytest.approx(1e-3, rel=1e-4)


def test_videos_left_over_sit_the_epoch_out():
    videos = clips(5)
    videos[4].features = torch.full_like(videos[4].features, float("nan"))  # would poison the weights if used
    model = scorer()
    loss = train_epoch_accumulated(model, torch.optim.SGD(model.parameters(), lr=0.1), videos, Loss.GTSCORE_MSE, 2,
                                   order=range(5))
    assert all(torch.isfinite(p).all() for p in model.parameters()) and loss == loss
    with pytest.raises(TooFewTrainingVideos, match="5 training videos cannot fill one optimiser step of 20"):
        train_epoch_accumulated(model, torch.optim.SGD(model.parameters(), lr=0.1), videos, Loss.GTSCORE_MSE, 20)


def test_dataloader_order_is_a_shuffled_dataloaders():
    torch.manual_seed(7)
    theirs = [int(i) for i in DataLoader(list(range(9)), batch_size=1, shuffle=True)]
    after_theirs = torch.rand(1)
    torch.manual_seed(7)
    ours = epoch_order(Shuffle.DATALOADER, 9)
    assert ours == theirs and sorted(ours) == list(range(9))
    assert torch.equal(torch.rand(1), after_theirs)  # the same draws from the global generator


def test_rule_keeper_returns_the_rules_epoch_and_its_weights():
    model = nn.Linear(1, 1)
    keeper = RuleKeeper(EpochRule.LOSS_CURVE)
    curve = FLAT + [0.9, 0.895, 0.894, 0.96, 0.95]
    for epoch, loss in enumerate(curve, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        keeper.offer(model, loss)
        assert len(keeper.states) <= 3
    epoch, state = keeper.chosen()
    assert epoch == select_epoch(EpochRule.LOSS_CURVE, curve) == 20
    assert state["weight"].item() == 20


def test_a_rule_keeper_saved_halfway_and_loaded_chooses_the_same_epoch(tmp_path):
    model = nn.Linear(1, 1)
    curve = FLAT + [0.9, 0.895, 0.894, 0.96, 0.95]
    keeper = RuleKeeper(EpochRule.LOSS_CURVE)
    for epoch, loss in enumerate(curve, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        keeper.offer(model, loss)
        if epoch == 19:  # a kill here, then the run resumes from the saved state
            torch.save(keeper.state_dict(), tmp_path / "keeper.pt")
            keeper = RuleKeeper(EpochRule.LOSS_CURVE)
            keeper.load_state_dict(torch.load(tmp_path / "keeper.pt", weights_only=True))
    epoch, state = keeper.chosen()
    assert epoch == 20 and state["weight"].item() == 20
    with pytest.raises(ValueError, match="rule 'loss-curve'"):
        RuleKeeper(EpochRule.LAST).load_state_dict(keeper.state_dict())
