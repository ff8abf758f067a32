"""engine/train/epoch.py: accumulated optimiser steps, epoch order, and the rule keeper."""

import contextlib
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from engine.train.epoch import (
    EpochSteps,
    GradientExchange,
    RuleKeeper,
    TooFewTrainingVideos,
    epoch_order,
    train_epoch,
    train_epoch_accumulated,
)
from models.methods import EpochRule, Loss, LossAverage, Shuffle, select_epoch

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


def test_an_exchange_scales_the_backward_pass_not_the_loss_and_holds_all_but_a_steps_last_video():
    """A torchrun rank's share of a step (engine/scale/torchrun.py): losses scaled before backward, the exchange held
    around every video of a step but its last (where DDP then exchanges the gradients once)."""
    videos = clips(4)
    model, reference = scorer(), scorer()
    held = []

    @contextlib.contextmanager
    def hold():
        held.append(len(held))
        yield

    loss = train_epoch_accumulated(model, torch.optim.SGD(model.parameters(), lr=0.1), videos, Loss.GTSCORE_MSE, 2,
                                   order=[3, 1, 0, 2], loss_average=LossAverage.FLOAT32, exchange=GradientExchange(3.0, hold))
    assert len(held) == 2  # two steps of two videos: the first video of each
    first = [Loss.GTSCORE_MSE(reference(videos[i].features), videos[i].gtscore) for i in (3, 1)]
    (3 * sum(first)).backward()  # the first step: three times the summed gradient
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    reference_optimizer.step()
    reference_optimizer.zero_grad()
    second = [Loss.GTSCORE_MSE(reference(videos[i].features), videos[i].gtscore) for i in (0, 2)]
    (3 * sum(second)).backward()
    reference_optimizer.step()
    for trained, expected in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(trained, expected)
    assert loss == pytest.approx(torch.stack([v.detach() for v in first + second]).mean().item())  # unscaled


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


def test_best_on_test_needs_both_tau_and_rho_to_improve():
    """CSTA's rule (the keeper train.py used before every method shared one loop): NaN never improves."""
    keeper = RuleKeeper(EpochRule.BEST_ON_TEST)
    net = nn.Linear(1, 1)
    sequence = [(0.10, 0.10), (0.20, 0.05), (0.15, 0.15), (0.15, 0.30), (0.30, 0.20), (float("nan"), 0.9), (0.31, 0.31)]
    kept = [keeper.offer(net, 1.0, tau, rho) for tau, rho in sequence]
    assert kept == [True, False, True, False, True, False, True]
    assert keeper.chosen()[0] == 7 and list(keeper.states) == [7]
    nothing = RuleKeeper(EpochRule.BEST_ON_TEST)
    nothing.offer(net, 1.0, float("nan"), 0.5)
    assert nothing.chosen() == (None, None)


def test_default_steps_are_cstas_loop_bit_for_bit():
    """train_epoch with the default EpochSteps: a randperm order, one step per video (the loop CSTA always had)."""
    videos = clips(5)
    model, reference = scorer(), scorer()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-7)
    reference_optimizer = torch.optim.Adam(reference.parameters(), lr=1e-2, weight_decay=1e-7)
    torch.manual_seed(3)
    loss = train_epoch(model, optimizer, videos)
    torch.manual_seed(3)
    total = 0.0
    for index in torch.randperm(len(videos)).tolist():
        reference_optimizer.zero_grad()
        value = nn.MSELoss()(reference(videos[index].features), videos[index].gtscore)
        value.backward()
        reference_optimizer.step()
        total += value.item()
    for trained, expected in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.equal(trained, expected)
    assert loss == total / len(videos)  # averaged as Python floats, as CSTA's loop always did


def test_the_authors_average_their_losses_in_float32():
    videos = clips(3)
    model = scorer()
    order = [1, 2, 0]
    loss = train_epoch_accumulated(model, torch.optim.SGD(model.parameters(), lr=0.0), videos, Loss.GTSCORE_MSE, 3,
                                   order=order, loss_average=LossAverage.FLOAT32)
    values = [Loss.GTSCORE_MSE(model(videos[i].features), videos[i].gtscore).detach() for i in order]
    assert loss == torch.stack(values).mean().item()


def test_steps_follow_the_methods_protocol():
    videos = clips(4)
    model = scorer()
    steps = EpochSteps(Loss.LENGTH_REGULARISATION, videos_per_step=4, grad_clip_norm=5.0, shuffle=Shuffle.DATALOADER, length_factor=0.3)
    torch.manual_seed(1)
    loss = train_epoch(model, torch.optim.SGD(model.parameters(), lr=0.0), videos, steps)
    torch.manual_seed(1)
    order = epoch_order(Shuffle.DATALOADER, 4)
    expected = torch.stack([Loss.LENGTH_REGULARISATION(model(videos[i].features), None, 0.3) for i in order]).mean().item()
    assert loss == pytest.approx(expected)


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
