"""engine/train/run_config.py: train.py's flags as one checked plan per run, refused before any data is read."""

import pytest

import train
from cli.training_request import plan_from_args
from config import CASumConfig, EpochRule, ModelConfig, SoftmaxAxis, TrainConfig
from engine.train.run_config import ProtocolOverrides, TrainingPlan, TrainingPlanError, plan_for
from models.method_choice import ModelChoice
from models.methods import METHODS


def plan(*argv):
    return plan_from_args(train.parse_args(list(argv)))


def test_each_method_gets_its_authors_protocol_and_rule():
    for name, spec in METHODS.items():
        chosen = plan("--method", name)
        assert (chosen.protocol, chosen.rule, chosen.model_config) == (spec.protocol, spec.selection, spec.default_config())
    assert plan().method == "CSTA"


def test_flags_override_single_fields():
    chosen = plan("--method", "PGL-SUM", "--epochs", "30", "--lr", "0.001", "--weight-decay", "0", "--grad-clip", "none",
                  "--videos-per-step", "3", "--seed", "9", "--select", "last")
    p = chosen.protocol
    assert (p.epochs, p.learning_rate, p.weight_decay, p.grad_clip_norm, p.seed) == (30, 0.001, 0.0, None, 9)
    assert dict(p.videos_per_step) == {"SumMe": 3, "TVSum": 3} and chosen.rule is EpochRule.LAST
    assert p.shuffle is METHODS["PGL-SUM"].protocol.shuffle  # what no flag names stays the authors'


def test_ca_sum_sweeps_sigma_unless_one_is_given():
    assert plan("--method", "CA-SUM").length_factors() == (0.5, 0.6, 0.7, 0.8, 0.9)
    assert plan("--method", "CA-SUM", "--length-factor", "0.3").length_factors() == (0.3,)
    assert plan("--method", "PGL-SUM").length_factors() == (None,)
    with pytest.raises(TrainingPlanError, match="--length-factor is sigma of CA-SUM's .* PGL-SUM's loss"):
        plan("--method", "PGL-SUM", "--length-factor", "0.5")


@pytest.mark.parametrize(("argv", "message"), [
    (["--method", "CA-SUM", "--epochs", "3"], "--select min-loss .* needs at least 21 epochs, and the run has 3"),
    (["--select", "loss-curve", "--epochs", "5"], "--select loss-curve"),
    (["--method", "PGL-SUM", "--random-init"], "--random-init .* PGL-SUM has no trunk"),
])
def test_plans_that_do_not_fit_are_refused(argv, message):
    with pytest.raises(TrainingPlanError, match=message):
        plan(*argv)


def test_the_record_fields_name_method_options_and_rule():
    record = plan("--method", "CA-SUM", "--block-size", "30", "--select", "last", "--epochs", "2").as_record()
    assert record["method"] == "CA-SUM" and record["model_options"] == CASumConfig(block_size=30).to_options()
    assert record["selection_rule"] == "last" and record["selection_looks_at_test_labels"] is False
    assert plan().as_record()["selection_looks_at_test_labels"] is True


def test_the_train_config_route_is_cstas_paper_protocol():
    chosen = TrainingPlan.from_train_config(TrainConfig(epochs=7, seed=3, imagenet_init=False), ModelConfig(softmax_axis=SoftmaxAxis.T))
    assert (chosen.method, chosen.protocol.epochs, chosen.seed, chosen.imagenet_init) == ("CSTA", 7, 3, False)
    assert chosen.protocol.learning_rate == TrainConfig().learning_rate and chosen.rule is EpochRule.BEST_ON_TEST
    assert chosen.with_seed(11).seed == 11 and chosen.model_config.softmax_axis is SoftmaxAxis.T
    assert plan_for(ModelChoice("CSTA", ModelConfig()), ProtocolOverrides(epochs=2)).protocol.epochs == 2


def test_the_documented_protocols_are_the_specs():
    for spec in METHODS.values():
        p = spec.protocol
        assert f"{spec.name:<8} {p.epochs} epochs, lr {p.learning_rate:g}, weight decay {p.weight_decay:g}" in train.__doc__
        assert f"seed {p.seed}" in train.__doc__ and f"--select {spec.selection.value}" in train.__doc__


def test_plans_are_checked_without_torch():
    """train.py refuses a bad plan before it reads data or imports torch (models.methods loads torch only to build)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    code = ("import sys, train; from cli.training_request import plan_from_args; "
            "plan_from_args(train.parse_args(['--method', 'CA-SUM', '--epochs', '30'])); print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_split_too_small_for_one_step_and_a_file_for_tensorboard_are_refused(tmp_path):
    pgl = plan("--method", "PGL-SUM")
    pgl.check_training_set("TVSum", 1, 40)
    with pytest.raises(TrainingPlanError, match="SumMe split 2 has 4 training videos and PGL-SUM sums the gradients of 20"):
        pgl.check_training_set("SumMe", 2, 4)
    (tmp_path / "board").write_text("x")
    with pytest.raises(TrainingPlanError, match="is a file"):
        plan("--tensorboard", str(tmp_path / "board"))


def test_init_weights_per_split_and_refusals(capsys):
    assert plan().init_path(3) is None
    chosen = plan("--init", "runs/TVSum/split{split}.pt", "--lr", "0.0001")
    assert str(chosen.init_path(3)) == "runs/TVSum/split3.pt" and chosen.protocol.learning_rate == 0.0001
    assert str(plan("--init", "w/TVSum/split1.pt").init_path(4)) == "w/TVSum/split1.pt"  # one file for every split
    for argv, message in ((["--init", "a.pt", "--random-init"], "--init starts every weight from a file"),
                          (["--init", "split{k}.pt"], "the only field a path may hold is {split}")):
        with pytest.raises(SystemExit):
            train.parse_args(argv)
        assert message in capsys.readouterr().err
    with pytest.raises(TrainingPlanError, match="give one or the other"):  # the plan refuses it too (callers other than train.py)
        plan_for(ModelChoice("CSTA", ModelConfig(), frozenset()), imagenet_init=False, init_weights="a.pt")


def test_videos_per_step_reaches_a_built_data_set():
    chosen = plan("--method", "PGL-SUM", "--videos-per-step", "2")
    assert chosen.protocol.videos_per_step_for("clips") == 1  # the authors' table names SumMe and TVSum only
    widened = chosen.with_videos_per_step(["clips"], 2)
    assert dict(widened.protocol.videos_per_step) == {"SumMe": 2, "TVSum": 2, "clips": 2}
    assert chosen.with_videos_per_step(["clips"], None) is chosen


def test_the_log_line_names_the_data_sets_trained_on():
    """A run on a built data set says its own videos per step, not SumMe's and TVSum's."""
    described = plan("--method", "PGL-SUM").describe(["clips"])
    assert "videos per step clips 1 |" in described and "SumMe" not in described
    assert "videos per step SumMe 20, TVSum 40" in plan("--method", "PGL-SUM").describe()
