"""What SummDiff brought to the training loop: per-data-set protocols and options, its epoch rule, length-weighted
steps with a last smaller one, a model that computes its own loss, and one training target per annotator."""

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from dataset.h5 import VideoRecord
from engine.evaluate.model_scores import DeviceVideo
from engine.train.epoch import train_epoch_accumulated
from engine.train.run_config import ProtocolOverrides, plan_for
from engine.train.targets import AnnotatorTargetsUnavailable, per_annotator
from models.method_choice import ModelChoice
from models.methods import EpochRule, Loss, StepLoss, retained_epochs, select_epoch
from models.summdiff_config import SummDiffConfig


def test_each_data_set_gets_its_authors_values_and_user_values_win():
    plan = plan_for(ModelChoice("SummDiff", SummDiffConfig()))
    summe, tvsum = plan.for_dataset("SumMe"), plan.for_dataset("TVSum")
    assert (summe.protocol.epochs, summe.protocol.learning_rate, summe.protocol.weight_decay) == (45, 3e-5, 5e-4)
    assert (tvsum.protocol.epochs, tvsum.protocol.learning_rate, tvsum.protocol.weight_decay) == (200, 3e-4, 5e-3)
    assert (summe.model_config.individual, tvsum.model_config.individual) == (True, False)
    assert (summe.model_config.decoder_layers, tvsum.model_config.decoder_layers) == (2, 3)
    assert plan.rule is EpochRule.BEST_TAU_ON_TEST and plan.rule.looks_at_test_labels
    mine = plan_for(ModelChoice("SummDiff", SummDiffConfig(decoder_layers=4)), ProtocolOverrides(epochs=3, learning_rate=1e-3))
    assert (mine.for_dataset("TVSum").protocol.epochs, mine.for_dataset("TVSum").protocol.learning_rate) == (3, 1e-3)
    assert mine.for_dataset("TVSum").protocol.weight_decay == 5e-3  # not set by the user: the authors' TVSum value
    assert mine.for_dataset("TVSum").model_config.decoder_layers == 4
    assert "on TVSum: learning_rate 0.0003" in plan.describe(["TVSum"])


def test_best_test_tau_keeps_the_later_of_equal_epochs_and_ignores_rho():
    taus, rhos = [0.1, 0.3, 0.3, 0.2, float("nan")], [0.9, 0.1, 0.0, 0.9, 0.9]
    assert select_epoch(EpochRule.BEST_TAU_ON_TEST, [1.0] * 5, taus, rhos) == 3
    assert retained_epochs(EpochRule.BEST_TAU_ON_TEST, [1.0] * 5, taus, rhos) == {3}
    assert select_epoch(EpochRule.BEST_ON_TEST, [1.0] * 5, taus, rhos) == 1  # CSTA's rule wants tau and rho both better
    assert select_epoch(EpochRule.BEST_TAU_ON_TEST, [1.0], [float("nan")], [0.5]) is None


@dataclass
class Clip:
    features: torch.Tensor
    gtscore: torch.Tensor


class SelfScoring(nn.Module):
    """A model that computes its own loss from the targets (as SummDiff does), recording the calls."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(4, 1)
        self.calls = 0

    def forward(self, features, gtscore=None):
        self.calls += 1
        scores = torch.sigmoid(self.linear(features)).reshape(-1)
        return scores if gtscore is None else nn.functional.mse_loss(scores, gtscore)


def _clips(lengths):
    generator = torch.Generator().manual_seed(1)
    return [Clip(torch.rand(n, 4, generator=generator), torch.rand(n, generator=generator)) for n in lengths]


def test_length_weighted_steps_are_the_masked_mean_of_a_padded_batch_and_keep_the_last_smaller_step():
    videos = _clips([3, 5, 2, 6, 4])
    model, reference = SelfScoring(), SelfScoring()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = train_epoch_accumulated(model, optimizer, videos, Loss.DENOISING, 2, order=[0, 1, 2, 3, 4],
                                   step_loss=StepLoss.LENGTH_WEIGHTED_MEAN, partial_step=True)
    assert model.calls == 5  # three steps: videos 0-1, 2-3, then 4 alone
    expected_losses = []
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.5)
    for step in ([0, 1], [2, 3], [4]):
        reference_optimizer.zero_grad()
        scores = torch.cat([torch.sigmoid(reference.linear(videos[i].features)).reshape(-1) for i in step])
        targets = torch.cat([videos[i].gtscore for i in step])
        batch_loss = nn.functional.mse_loss(scores, targets)  # every valid step of the batch counts once
        batch_loss.backward()
        reference_optimizer.step()
        expected_losses.append(batch_loss.item())
    for trained, expected in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(trained, expected)
    assert loss == pytest.approx(np.mean(expected_losses), rel=1e-6)


def test_without_partial_steps_the_leftover_videos_still_sit_out():
    model = SelfScoring()
    train_epoch_accumulated(model, torch.optim.SGD(model.parameters(), lr=0.1), _clips([3, 5, 2]), Loss.DENOISING, 2,
                            order=[0, 1, 2])
    assert model.calls == 2


def _record(key, n_users=3, steps=4, frames=60):
    users = (np.arange(n_users * frames).reshape(n_users, frames) % 7 < 3).astype(np.uint8)
    picks = np.arange(0, frames, frames // steps)[:steps]
    return VideoRecord(key, np.zeros((steps, 4), np.float32), np.zeros(steps, np.float32), picks, frames,
                       np.array([[0, frames - 1]]), users)


def test_one_training_video_per_annotator_reads_the_summary_at_the_picks():
    records = [_record("video_1"), _record("video_2", n_users=2)]
    videos = [DeviceVideo(r, torch.from_numpy(r.features), torch.from_numpy(r.gtscore)) for r in records]
    expanded = per_annotator(videos, "SumMe")
    assert len(expanded) == 5 and [v.record.key for v in expanded] == ["video_1"] * 3 + ["video_2"] * 2
    first = records[0]
    for user, video in enumerate(expanded[:3]):
        np.testing.assert_array_equal(video.gtscore.numpy(), first.user_summary[user, first.picks].astype(np.float32))
        assert video.features is videos[0].features


def test_annotations_that_do_not_cover_the_picks_are_named():
    record = _record("video_9")
    record.user_summary = record.user_summary[:, :10]
    with pytest.raises(AnnotatorTargetsUnavailable, match="video_9"):
        per_annotator([DeviceVideo(record, torch.zeros(4, 4), torch.zeros(4))], "SumMe")


def test_sampling_options_may_differ_from_the_record_and_the_others_may_not():
    from models.method_choice import ModelChoiceError, choice_from_record, reconcile  # noqa: PLC0415

    record = choice_from_record({"method": "SummDiff", "model_options": SummDiffConfig().for_dataset("SumMe").to_options()})
    seeded = reconcile(ModelChoice("SummDiff", SummDiffConfig(sample_seed=5, samples=3), frozenset({"sample_seed", "samples"})),
                       record, "r.json")
    assert (seeded.config.sample_seed, seeded.config.samples, seeded.config.decoder_layers) == (5, 3, 2)
    with pytest.raises(ModelChoiceError, match="--decoder-layers 3 contradicts the record r.json, which says 2"):
        reconcile(ModelChoice("SummDiff", SummDiffConfig(decoder_layers=3), frozenset({"decoder_layers"})), record, "r.json")


def test_a_data_set_with_a_validation_split_never_keeps_summdiffs_test_rule():
    """VideoXum chooses on validation: SummDiff's default (test tau) must not pass there under a label saying it looks at test labels."""
    from sources.videoxum import VIDEOXUM_SOURCE  # noqa: PLC0415

    plan = VIDEOXUM_SOURCE.plan_for(plan_for(ModelChoice("SummDiff", SummDiffConfig())), None)
    assert plan.rule is EpochRule.BEST_ON_VALIDATION and not plan.rule.looks_at_test_labels
    assert "never on test labels" in VIDEOXUM_SOURCE.rule_problem(EpochRule.BEST_TAU_ON_TEST)
