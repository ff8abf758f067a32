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
from tests.conftest import stop_in_epoch


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


def test_the_weight_average_is_the_authors_update_of_the_parameters_alone():
    """engine/train/ema.py against a hand computation: a copy at the start, then after every optimiser step
    average = d * average + (1 - d) * weights for each parameter; buffers stay as copied (their solver's update_ema)."""
    from engine.train.ema import WeightAverage  # noqa: PLC0415

    torch.manual_seed(3)
    # the tanh gives the linear bias a gradient (straight into a batch norm it has none, and whether it moves by a
    # rounding error or not at all depends on the summation order of the machine)
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.BatchNorm1d(2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    average = WeightAverage(model, 0.9)
    average.attach(optimizer, model)
    expected = {name: p.detach().clone() for name, p in model.named_parameters()}
    first_buffers = {name: b.clone() for name, b in model.named_buffers()}
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(5, 3)).pow(2).mean().backward()
        optimizer.step()
        expected = {name: 0.9 * expected[name] + 0.1 * p.detach() for name, p in model.named_parameters()}
    averaged = dict(average.module.named_parameters())
    for name, value in expected.items():
        torch.testing.assert_close(averaged[name], value, rtol=0, atol=1e-7)
        assert not averaged[name].requires_grad and not torch.equal(averaged[name], dict(model.named_parameters())[name])
    for name, buffer in average.module.named_buffers():
        assert torch.equal(buffer, first_buffers[name])  # the model's running statistics moved; the average's did not
    assert not torch.equal(model[2].running_mean, first_buffers["2.running_mean"])
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(model, 1.0)


def test_ema_is_on_where_the_authors_scripts_turn_it_on_and_a_flag_sets_it():
    from models.methods import method_spec  # noqa: PLC0415

    spec = method_spec("SummDiff")
    decays = {name: spec.average_decay(SummDiffConfig().for_dataset(name)) for name in ("SumMe", "TVSum", "MrHiSum", "custom")}
    assert decays == {"SumMe": None, "TVSum": None, "MrHiSum": 0.999, "custom": None}
    assert spec.average_decay(SummDiffConfig(ema=True, ema_decay=0.5).for_dataset("SumMe")) == 0.5
    assert spec.average_decay(SummDiffConfig(ema=False).for_dataset("MrHiSum")) is None
    assert {o.name: o.parse("0.99") for o in spec.options if o.name == "ema_decay"} == {"ema_decay": 0.99}
    assert [o.parse("true") for o in spec.options if o.name == "ema"] == [True]


@pytest.fixture(scope="module")
def ema_runs(tiny_data_dir, tiny_splits, tmp_path_factory):
    """SummDiff trained 2 epochs on the tiny SumMe split 1 without EMA, with decay 0 and with decay 0.99 (weights paths)."""
    from config import DATASETS  # noqa: PLC0415
    from dataset import load_benchmark, read_splits  # noqa: PLC0415
    from engine.train.loop import train_method_split  # noqa: PLC0415

    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    split = read_splits(tiny_splits["SumMe"])[0]
    folder = tmp_path_factory.mktemp("ema")

    def train(name, **options):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny matrices: a second thread only waits on a busy machine (5 s per run instead of 1)
        try:
            return train_small(name, **options)
        finally:
            torch.set_num_threads(threads)

    def train_small(name, **options):
        small = SummDiffConfig(decoder_layers=1, individual=False, hidden_dim=32, heads=2, feedforward_dim=64, sampling_steps=2,
                               **options)
        plan = plan_for(ModelChoice("SummDiff", small), ProtocolOverrides(epochs=2, learning_rate=1e-3, videos_per_step=1),
                        EpochRule.LAST)
        return train_method_split(benchmark, split, plan, torch.device("cpu"), folder / name).weights_path

    from engine.train import loop as training  # noqa: PLC0415

    evaluated = []  # the weights of each model the held-out evaluation scored in the averaged run
    original = training.evaluate_model

    def spied(model, *args, **kwargs):
        evaluated.append({key: value.clone() for key, value in model.state_dict().items()})
        return original(model, *args, **kwargs)

    paths = {"plain": train("plain", ema=False), "decay0": train("decay0", ema=True, ema_decay=0.0)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "evaluate_model", spied)
        paths["averaged"] = train("averaged", ema=True, ema_decay=0.99)
    return paths, train, evaluated


def _state(path):
    return torch.load(path, weights_only=True)


def _history(path):
    import json  # noqa: PLC0415

    return json.loads(path.with_suffix(".json").read_text())["history"]


def test_the_average_is_what_is_evaluated_and_saved(ema_runs):
    paths, _, evaluated = ema_runs
    plain, same, averaged = (_state(paths[name]) for name in ("plain", "decay0", "averaged"))
    assert plain.keys() == same.keys() == averaged.keys()  # the model's layout (the authors' _ema.pkl has it too)
    assert all(torch.equal(plain[key], same[key]) for key in plain)  # decay 0: the average is the trained weights
    assert _history(paths["plain"]) == _history(paths["decay0"])  # and drawing it changed no random number
    assert any(not torch.equal(plain[key], averaged[key]) for key in plain)
    # the same training (losses); after the last epoch the evaluation scored the saved average, not the trained weights
    assert [row["loss"] for row in _history(paths["averaged"])] == [row["loss"] for row in _history(paths["plain"])]
    assert len(evaluated) == 2
    assert all(torch.equal(evaluated[-1][key], averaged[key]) for key in averaged)
    assert any(not torch.equal(evaluated[-1][key], plain[key]) for key in plain)


def test_a_stopped_ema_run_resumes_with_its_average(ema_runs, monkeypatch):
    from engine.run_paths import run_checkpoint_path  # noqa: PLC0415
    from engine.train.resume import RunCheckpoint  # noqa: PLC0415

    paths, train, _ = ema_runs
    stop_in_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        train("stopped", ema=True, ema_decay=0.99)
    monkeypatch.undo()
    folder = paths["averaged"].parents[2] / "stopped"
    checkpoint = RunCheckpoint.load(run_checkpoint_path(folder / "SumMe" / "split1.pt"))
    assert checkpoint.epoch == 1 and checkpoint.averaged is not None
    assert any(not torch.equal(checkpoint.averaged[key], checkpoint.model[key]) for key in checkpoint.model)
    resumed = train("stopped", ema=True, ema_decay=0.99)
    whole, again = _state(paths["averaged"]), _state(resumed)
    assert all(torch.equal(whole[key], again[key]) for key in whole)
    assert _history(paths["averaged"]) == _history(resumed)


def test_mr_hisum_decays_the_learning_rate_and_a_user_value_wins():
    plan = plan_for(ModelChoice("SummDiff", SummDiffConfig()))
    assert plan.for_dataset("MrHiSum").protocol.lr_decay == 0.99  # their solver's ExponentialLR, stepped on Mr.HiSum alone
    assert plan.for_dataset("SumMe").protocol.lr_decay is None and plan.for_dataset("MoSu").protocol.lr_decay is None
    assert plan.for_dataset("MrHiSum").protocol.as_dict()["lr_decay"] == 0.99
    assert "lr_decay" not in plan.for_dataset("SumMe").protocol.as_dict()  # other runs' records and fingerprints unchanged
    constant = plan_for(ModelChoice("SummDiff", SummDiffConfig()), ProtocolOverrides(lr_decay=1.0))
    assert constant.for_dataset("MrHiSum").protocol.lr_decay is None
    assert plan_for(ModelChoice("CSTA", None), ProtocolOverrides(lr_decay=0.5)).for_dataset("SumMe").protocol.lr_decay == 0.5


def test_the_decayed_rate_steps_after_every_epoch_and_survives_a_resume(ema_runs, monkeypatch):
    """lr x gamma after each epoch; a run stopped after epoch 1 resumes at the decayed rate (the optimiser's saved state)."""
    from engine.train import loop as training  # noqa: PLC0415

    _, train, _ = ema_runs
    rates = []
    original = training.train_epoch

    def recording(model, optimizer, *args):
        rates.append(optimizer.param_groups[0]["lr"])
        if len(rates) == 2 and stop["now"]:
            raise KeyboardInterrupt
        return original(model, optimizer, *args)

    stop = {"now": True}
    monkeypatch.setattr(training, "train_epoch", recording)
    original_plan_for = plan_for

    def decaying(choice, overrides, *args, **kwargs):
        from dataclasses import replace  # noqa: PLC0415

        return original_plan_for(choice, replace(overrides, lr_decay=0.5), *args, **kwargs)

    monkeypatch.setitem(train.__globals__, "plan_for", decaying)  # the fixture's runs, with --lr-decay 0.5
    with pytest.raises(KeyboardInterrupt):
        train("decayed", ema=False)
    stop["now"] = False
    train("decayed", ema=False)
    assert rates == [1e-3, 5e-4, 5e-4]  # epoch 1, epoch 2 (stopped), epoch 2 again after the resume
