"""models/methods.py: the registry, losses and epoch-selection rules."""


import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from config import Backbone, Fusion, ModelConfig, PGLPositionalEncoding
from models.backbone import BackboneInit, backbone_spec
from models.ca_sum import CASum, CASumConfig
from models.methods import (
    METHODS,
    EpochRule,
    Loss,
    LossAverage,
    MethodConfigError,
    SelectionUndefined,
    Shuffle,
    UnknownMethod,
    choose_length_factor,
    guess_methods,
    length_improvement,
    method_spec,
    retained_epochs,
    select_epoch,
)
from models.pgl_sum import PGLSum, PGLSumConfig
from utils.errors import ProjectError

ROOT = Path(__file__).resolve().parents[2]

# ---- the registry ----


def test_every_method_is_found_by_its_name():
    assert list(METHODS) == ["CSTA", "PGL-SUM", "CA-SUM", "SummDiff"]
    for name in METHODS:
        assert method_spec(name).name == name


def test_an_unknown_method_is_refused_with_the_valid_names():
    with pytest.raises(UnknownMethod) as caught:
        method_spec("DSNet")
    assert isinstance(caught.value, ProjectError)
    assert "CSTA, PGL-SUM, CA-SUM" in str(caught.value)
    with pytest.raises(UnknownMethod, match="did you mean 'PGL-SUM'"):
        method_spec("pgl_sum")


def test_the_authors_protocols():
    pgl, ca, csta = (method_spec(n).protocol for n in ("PGL-SUM", "CA-SUM", "CSTA"))
    assert (pgl.learning_rate, pgl.weight_decay, pgl.epochs, pgl.grad_clip_norm, pgl.seed) == (5e-5, 1e-5, 200, 5.0, 12345)
    assert (ca.learning_rate, ca.weight_decay, ca.epochs, ca.grad_clip_norm, ca.seed) == (5e-4, 1e-5, 400, 5.0, 12345)
    assert ca.length_factor == 0.6 and ca.length_factor_sweep == (0.5, 0.6, 0.7, 0.8, 0.9)
    for protocol in (pgl, ca):
        assert protocol.videos_per_step_for("SumMe") == 20 and protocol.videos_per_step_for("TVSum") == 40
        assert protocol.shuffle is Shuffle.DATALOADER
    assert csta.videos_per_step_for("TVSum") == 1 and csta.grad_clip_norm is None and csta.shuffle is Shuffle.RANDPERM
    assert pgl.as_dict()["shuffle"] == "dataloader"
    # CSTA's epoch loss is averaged as this project always did (Python floats), the others as their solvers (float32)
    assert csta.loss_average is LossAverage.PYTHON_FLOAT and pgl.loss_average is ca.loss_average is LossAverage.FLOAT32
    assert json.loads(json.dumps(ca.as_dict()))["loss_average"] == "float32"


def test_each_declared_option_sets_an_option_of_its_config():
    """The command line is made from these declarations alone: each flag must name an option its config reads."""
    for spec in METHODS.values():
        defaults = spec.default_config().to_options()
        assert spec.options and spec.options_title
        for option in spec.options:
            assert option.name in defaults, f"{spec.name}: {option.flag} sets no option of {spec.config_type.__name__}"
            assert option.flag.startswith("--") and option.metavar
            for text in option.choices:  # --help lists only values the parser takes
                option.parse(text)
    pgl = method_spec("PGL-SUM")
    typed = {option.name: option.parse(text) for option, text in zip(pgl.options, ("2", "none", "MAX", "relative"), strict=True)}
    assert pgl.config_type.from_options(typed) == PGLSumConfig(heads=2, num_segments=None, fusion=Fusion.MAX,
                                                               positional_encoding=PGLPositionalEncoding.RELATIVE)


def test_the_methods_need_neither_torch_nor_numpy_to_be_listed():
    code = ("import sys; from models.methods import METHODS; "
            "print(' '.join(m for m in ('torch', 'numpy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_the_length_factor_and_the_trunk_belong_to_their_methods():
    assert [spec.loss.takes_length_factor for spec in METHODS.values()] == [False, False, True, False]
    assert method_spec("CSTA").trunk_spec(ModelConfig(backbone=Backbone.RESNET)).title == backbone_spec(Backbone.RESNET).title
    assert method_spec("PGL-SUM").trunk_spec(PGLSumConfig()) is None


def test_each_method_has_its_loss_and_rule():
    assert [(s.loss, s.selection) for s in METHODS.values()] == [
        (Loss.GTSCORE_MSE, EpochRule.BEST_ON_TEST),
        (Loss.GTSCORE_MSE, EpochRule.LOSS_CURVE),
        (Loss.LENGTH_REGULARISATION, EpochRule.MIN_LOSS),
        (Loss.DENOISING, EpochRule.BEST_TAU_ON_TEST),
    ]


def test_build_makes_each_methods_model_and_refuses_foreign_options():
    assert isinstance(method_spec("PGL-SUM").build(PGLSumConfig(feature_dim=64, hidden_dim=64)), PGLSum)
    assert isinstance(method_spec("CA-SUM").build(CASumConfig(feature_dim=64, hidden_dim=64)), CASum)
    with pytest.raises(MethodConfigError, match="PGL-SUM takes PGLSumConfig options, not CASumConfig"):
        method_spec("PGL-SUM").build(CASumConfig())
    with pytest.raises(MethodConfigError, match="CA-SUM has no GoogLeNet trunk"):
        method_spec("CA-SUM").build(None, BackboneInit.RANDOM)


def test_options_travel_through_records():
    for name, config in (("PGL-SUM", PGLSumConfig(num_segments=8)), ("CA-SUM", CASumConfig(block_size=30)),
                         ("CSTA", ModelConfig(head_dropout=0.3))):
        spec = method_spec(name)
        assert spec.config_from_dict(spec.config_to_dict(config)) == config
    with pytest.raises(MethodConfigError, match="CSTA has no option block_size"):
        method_spec("CSTA").config_from_dict({"block_size": 60})


def test_weights_name_their_method():
    pgl = method_spec("PGL-SUM").build(PGLSumConfig(feature_dim=64, hidden_dim=64)).state_dict()
    ca = method_spec("CA-SUM").build(CASumConfig(feature_dim=64, hidden_dim=64)).state_dict()
    assert guess_methods(pgl) == ["PGL-SUM"]
    assert guess_methods(ca) == ["CA-SUM"]
    assert guess_methods({"Positional_encoding_op.pe": torch.zeros(1), "CLS": torch.zeros(1)}) == ["CSTA"]
    assert guess_methods({"fc.weight": torch.zeros(1)}) == []


# ---- losses ----


def test_mse_on_gtscore():
    scores, gtscore = torch.tensor([0.2, 0.4]), torch.tensor([0.0, 1.0])
    assert Loss.GTSCORE_MSE(scores, gtscore).item() == pytest.approx((0.04 + 0.36) / 2)
    assert Loss.GTSCORE_MSE.needs_labels and not Loss.LENGTH_REGULARISATION.needs_labels


def test_length_regularisation_worked_by_hand():
    scores = torch.tensor([0.2, 0.4, 0.9], requires_grad=True)  # mean 0.5
    loss = Loss.LENGTH_REGULARISATION(scores, None, 0.6)
    assert loss.item() == pytest.approx(0.1)
    loss.backward()
    torch.testing.assert_close(scores.grad, torch.full((3,), -1 / 3))  # the mean is below sigma: raise every score
    assert Loss.LENGTH_REGULARISATION(torch.tensor([0.9, 0.9]), None, 0.6).item() == pytest.approx(0.3)
    with pytest.raises(MethodConfigError, match="sigma"):
        Loss.LENGTH_REGULARISATION(scores, None)


# ---- epoch rules ----


def test_only_the_test_rules_look_at_test_labels():
    assert [rule.looks_at_test_labels for rule in EpochRule] == [True, False, False, False, False, True]
    assert all(("looks at test labels" in r.label) == r.looks_at_test_labels for r in EpochRule)
    assert all(("no test labels" in r.label) != r.looks_at_test_labels for r in EpochRule)
    assert EpochRule("loss-curve") is EpochRule.LOSS_CURVE


FLAT = [1.0] * 17  # epochs 1-17 (0-based 0-16): nothing happens


def test_loss_curve_takes_the_epoch_after_the_first_marked_fall():
    # 0-based 16 -> 17 falls by 11 % (of the later value): candidate 0-based 17; the minimum (0-based 19)
    # came with a 78 % fall, larger than the candidate's, so the candidate stays: epoch 18
    assert select_epoch(EpochRule.LOSS_CURVE, FLAT + [0.9, 0.89, 0.5]) == 18


def test_loss_curve_takes_the_minimum_when_it_came_smoothly():
    # the minimum (0-based 19) changed by 0.1 % only, less than the candidate's 11 %: epoch 20
    assert select_epoch(EpochRule.LOSS_CURVE, FLAT + [0.9, 0.895, 0.894]) == 20


def test_loss_curve_takes_the_epoch_before_a_marked_rise():
    # 0-based 15 -> 16 rises by 2.9 %: candidate 0-based 15 (epoch 16); the first minimum is epoch 1, whose change
    # is read, as in the authors' code, against the last epoch (1.0 vs 1.03: 3 %), larger than 2.9 %: epoch 16
    assert select_epoch(EpochRule.LOSS_CURVE, [1.0] * 16 + [1.03] * 4) == 16


def test_loss_curve_without_a_marked_change_keeps_epoch_1():
    assert select_epoch(EpochRule.LOSS_CURVE, [1.0 - 0.001 * i for i in range(40)]) == 1  # every change below 1 %
    assert select_epoch(EpochRule.LOSS_CURVE, [1.0, 0.5, 0.25]) == 1  # too short to examine any change


def test_loss_curve_refuses_a_non_finite_loss():
    with pytest.raises(SelectionUndefined, match="not finite at epoch"):
        select_epoch(EpochRule.LOSS_CURVE, FLAT + [float("nan"), 0.5])


def test_min_loss_ignores_the_first_20_epochs_and_those_after_400():
    curve = [0.1] * 5 + [0.5] * 20 + [0.3, 0.2, 0.25] + [0.4] * 372 + [0.01] * 10  # 410 epochs
    assert select_epoch(EpochRule.MIN_LOSS, curve) == 27  # 0-based 26; the 0.1s come too early, the 0.01s too late
    with pytest.raises(SelectionUndefined, match="more than 20 epochs"):
        select_epoch(EpochRule.MIN_LOSS, [0.5] * 20)


def test_best_on_test_and_last():
    nan = float("nan")
    kendalls = [0.1, 0.2, nan, 0.3, 0.15]
    spearmans = [0.1, 0.3, 0.5, 0.2, 0.4]
    assert select_epoch(EpochRule.BEST_ON_TEST, [1.0] * 5, kendalls, spearmans) == 2  # epoch 4 fails rho, 5 fails tau
    assert select_epoch(EpochRule.BEST_ON_TEST, [1.0], [nan], [nan]) is None
    assert select_epoch(EpochRule.LAST, [0.3, 0.2, 0.9]) == 3


def test_retained_epochs_always_hold_the_final_choice():
    generator = torch.Generator().manual_seed(0)
    for _ in range(60):
        curve = (torch.rand(60, generator=generator) * 0.05 + torch.linspace(1.0, 0.5, 60)).tolist()
        for rule in (EpochRule.LOSS_CURVE, EpochRule.MIN_LOSS, EpochRule.LAST):
            final = select_epoch(rule, curve)
            for n in range(final, len(curve) + 1):
                kept = retained_epochs(rule, curve[:n])
                assert final in kept and len(kept) <= 3


def test_choice_among_length_factors():
    # the untrained model's mean 0.5; trained 0.6: it went all the way to sigma 0.6 (1.0) and half way to 0.7 (0.5)
    assert length_improvement(0.6, [0.55, 0.65], [0.5, 0.5]) == pytest.approx(1.0)
    assert length_improvement(0.7, [0.55, 0.65], [0.5, 0.5]) == pytest.approx(0.5)
    assert choose_length_factor([0.4, 1.6, 0.9, 0.2, 0.9]) == 2  # 1.6 counts as 0; the first of the ties wins
