"""Resumable runs (engine/train/resume.py): a run killed at any moment and started again with the same
command ends with the weights and history of a run never interrupted; a finished run is skipped; a
checkpoint of another run, or a damaged one, is refused and left as it is."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from config import DATASETS, CASumConfig, EpochRule, ModelConfig, TrainConfig
from dataset import load_benchmark, read_splits
from engine.run_paths import run_checkpoint_path, run_folder_for, weights_path_for
from engine.train import loop as training
from engine.train.epoch import RuleKeeper
from engine.train.resume import (
    CheckpointRefused,
    NothingToResume,
    RunCheckpoint,
    RunFingerprint,
    RunSession,
    capture_generators,
    restore_generators,
    run_fingerprint,
)
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import ProtocolOverrides, TrainingPlan, plan_for
from models.method_choice import ModelChoice
from tests.conftest import stop_in_epoch
from tests.engine.conftest import EPOCHS, kill_after_checkpoint, train_command

ROOT = Path(__file__).resolve().parents[3]
SUMME = DATASETS["SumMe"]
def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)


def assert_same_run(a: Path, b: Path) -> None:
    """Same weights, tensor by tensor, and the same history and kept epoch in the records."""
    first, second = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)
    records = [json.loads(path.with_suffix(".json").read_text()) for path in (a, b)]
    for key in ("history", "best_epoch", "metrics", "run"):
        assert records[0][key] == records[1][key], key


@pytest.fixture(scope="module")
def uninterrupted(mini, tmp_path_factory) -> Path:
    weights_dir = tmp_path_factory.mktemp("uninterrupted")
    done = run(train_command(mini, weights_dir))
    assert done.returncode == 0, done.stderr
    return weights_path_for(weights_dir, "SumMe", 1)


def test_a_run_killed_mid_run_and_started_again_ends_as_if_never_interrupted(mini, uninterrupted, tmp_path):
    weights = weights_path_for(tmp_path, "SumMe", 1)
    checkpoint = run_checkpoint_path(weights)
    assert kill_after_checkpoint(train_command(mini, tmp_path), checkpoint) == -signal.SIGKILL, "the run ended before it could be killed"
    assert not weights.exists()
    assert RunCheckpoint.load(checkpoint).epoch < EPOCHS

    again = run(train_command(mini, tmp_path))
    assert again.returncode == 0, again.stderr
    assert "resuming after epoch" in again.stderr and "taking it over" in again.stderr  # the killed run's lock
    assert_same_run(uninterrupted, weights)
    assert not run_folder_for(weights).exists()  # finished: the checkpoint is gone, the record marks the run done

    skipped = run(train_command(mini, tmp_path))
    assert skipped.returncode == 0, skipped.stderr
    assert "already trained by this command" in skipped.stderr and "skipping it" in skipped.stderr
    assert_same_run(uninterrupted, weights)


@pytest.fixture
def mini_run(mini, tmp_path):
    benchmark = load_benchmark(SUMME, mini[0])
    split = read_splits(mini[1])[0]
    return benchmark, split, TrainConfig(epochs=EPOCHS, seed=5, imagenet_init=False), tmp_path


def test_a_checkpoint_of_another_run_is_refused_and_kept(mini_run, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    benchmark, split, cfg, weights_dir = mini_run
    stop_in_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        training.train_split(benchmark, split, cfg, torch.device("cpu"), weights_dir)
    monkeypatch.undo()
    checkpoint = run_checkpoint_path(weights_path_for(weights_dir, "SumMe", 1))
    before = checkpoint.read_bytes()

    with pytest.raises(CheckpointRefused) as refused:  # another seed, writing to the same place
        training.train_split(benchmark, split, replace(cfg, seed=6), torch.device("cpu"), weights_dir)
    message = str(refused.value)
    assert str(checkpoint) in message and "seed: 5 in the checkpoint, 6 in this command" in message
    assert "plan.protocol.seed: 5 in the checkpoint, 6 in this command" in message and "--restart" in message
    assert checkpoint.read_bytes() == before

    with pytest.raises(NothingToResume, match="--resume"):  # nothing of that seed to resume elsewhere
        training.train_split(benchmark, split, replace(cfg, seed=6), torch.device("cpu"), weights_dir / "other",
                             resume=ResumePolicy.RESUME)

    result = training.train_split(benchmark, split, replace(cfg, seed=6), torch.device("cpu"), weights_dir,
                                  resume=ResumePolicy.RESTART)
    assert "discarding the checkpoint (--restart)" in caplog.text
    assert [row.epoch for row in result.history] == list(range(1, EPOCHS + 1))
    assert json.loads(result.weights_path.with_suffix(".json").read_text())["run"]["seed"] == 6
    assert not checkpoint.exists()


@pytest.mark.parametrize("content", [b"", b"not a torch file", "truncated"], ids=["empty", "garbage", "truncated"])
def test_a_damaged_checkpoint_is_refused_and_kept(mini_run, monkeypatch, content):
    benchmark, split, cfg, weights_dir = mini_run
    checkpoint = run_checkpoint_path(weights_path_for(weights_dir, "SumMe", 1))
    if content == "truncated":
        stop_in_epoch(monkeypatch, 2)
        with pytest.raises(KeyboardInterrupt):
            training.train_split(benchmark, split, cfg, torch.device("cpu"), weights_dir)
        monkeypatch.undo()
        content = checkpoint.read_bytes()[: checkpoint.stat().st_size // 2]
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.write_bytes(content)
    with pytest.raises(CheckpointRefused, match=rf"{checkpoint}: cannot be read as a run checkpoint .*--restart"):
        training.train_split(benchmark, split, cfg, torch.device("cpu"), weights_dir)
    assert checkpoint.read_bytes() == content


def test_fingerprints_name_what_differs(mini_run):
    benchmark, split, cfg, _ = mini_run
    a = run_fingerprint(benchmark, split, TrainingPlan.from_train_config(cfg))
    b = run_fingerprint(benchmark, replace(split, number=2),
                        TrainingPlan.from_train_config(replace(cfg, epochs=9), ModelConfig(scale="D")), 2)
    assert a == RunFingerprint.from_dict(json.loads(json.dumps(a.as_dict())))  # the record's copy compares equal
    assert a.differences(a) == []
    assert a.differences(b) == [
        "split: 1 in the checkpoint, 2 in this command",
        "plan.model_options.Scale: None in the checkpoint, 'D' in this command",
        f"plan.protocol.epochs: {EPOCHS} in the checkpoint, 9 in this command",
        "processes: 1 in the checkpoint, 2 in this command",
    ]
    assert RunFingerprint.from_dict({"dataset": "SumMe"}) is None


def test_restored_generators_draw_the_same_numbers():
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    np.random.normal()  # a cached gaussian is part of numpy's state
    saved = capture_generators()
    first = (torch.rand(3), np.random.normal(size=3), random.random())
    torch.manual_seed(99)
    np.random.seed(99)
    random.seed(99)
    restore_generators(saved)
    second = (torch.rand(3), np.random.normal(size=3), random.random())
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1]) and first[2] == second[2]


def test_checkpoint_round_trip_and_keeper_state(mini_run, tmp_path):
    benchmark, split, cfg, _ = mini_run
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.ones(2, 3)).sum().backward()
    optimizer.step()
    keeper = RuleKeeper(EpochRule.BEST_ON_TEST)
    keeper.offer(model, 0.5, 0.1, 0.2)
    session = RunSession(tmp_path / "SumMe" / "split1.pt", run_fingerprint(benchmark, split, TrainingPlan.from_train_config(cfg)))
    session.save(1, model, optimizer, keeper, [{"epoch": 1, "loss": 0.5}])
    loaded = RunCheckpoint.load(session.path())
    assert loaded.epoch == 1 and loaded.history == [{"epoch": 1, "loss": 0.5}] and loaded.fingerprint == session.fingerprint
    assert torch.equal(loaded.model["weight"], model.weight) and loaded.length_factor is None
    assert loaded.keeper["losses"] == [0.5] and torch.equal(loaded.keeper["states"][1]["weight"], model.weight)
    assert loaded.optimizer["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]

    leftover = session.path().with_name(".checkpoint.pt.x1y2.partial")  # of a run killed while writing its checkpoint
    leftover.write_bytes(b"half")
    fresh, fresh_keeper = torch.nn.Linear(3, 1), RuleKeeper(EpochRule.BEST_ON_TEST)
    fresh_optimizer = torch.optim.Adam(fresh.parameters())
    assert session.begin(fresh, fresh_optimizer, fresh_keeper) == (1, [{"epoch": 1, "loss": 0.5}])
    assert torch.equal(fresh.weight, model.weight) and fresh_keeper.chosen()[0] == 1
    assert torch.equal(fresh_keeper.chosen()[1]["weight"], model.weight)
    assert not leftover.exists()

    session.close(written_in_place=True)
    assert not run_folder_for(session.weights_path).exists()


def test_a_ca_sum_sweep_stopped_mid_sweep_resumes_every_sigma_to_the_same_weights(mini_run, monkeypatch, caplog):
    """CA-SUM trains one model per sigma: each keeps its own checkpoint, so a sweep stopped in sigma 0.6's second
    epoch goes on there (0.5 is not trained again) and ends with the weights and record of an uninterrupted sweep."""
    caplog.set_level(logging.INFO)
    benchmark, split, _, weights_dir = mini_run
    plan = plan_for(ModelChoice("CA-SUM", CASumConfig(hidden_dim=32, block_size=8)), ProtocolOverrides(epochs=2, videos_per_step=1),
                    EpochRule.LAST)
    plan = replace(plan, protocol=replace(plan.protocol, length_factor_sweep=(0.5, 0.6, 0.7)))  # a short sweep
    whole = training.train_method_split(benchmark, split, plan, torch.device("cpu"), weights_dir / "whole")

    weights = weights_path_for(weights_dir / "stopped", "SumMe", 1)
    stop_in_epoch(monkeypatch, 4)  # sigma 0.5: epochs 1-2, sigma 0.6: epoch 1, then the stop
    with pytest.raises(KeyboardInterrupt):
        training.train_method_split(benchmark, split, plan, torch.device("cpu"), weights.parents[1])
    monkeypatch.undo()
    assert [(p.name, RunCheckpoint.load(p).epoch) for p in sorted(run_folder_for(weights).iterdir())] == [
        ("sigma0.5.pt", 2), ("sigma0.6.pt", 1)]
    assert RunCheckpoint.load(run_checkpoint_path(weights, 0.6)).length_factor == 0.6

    calls = {"n": 0}
    original = training.train_epoch

    def counted(*args):
        calls["n"] += 1
        return original(*args)

    monkeypatch.setattr(training, "train_epoch", counted)
    resumed = training.train_method_split(benchmark, split, plan, torch.device("cpu"), weights.parents[1])
    assert calls["n"] == 1 + 2  # sigma 0.6's second epoch, then 0.7's two
    assert "sigma0.5.pt: resuming after epoch 2 of 2" in caplog.text
    assert_same_run(whole.weights_path, resumed.weights_path)
    records = [json.loads(path.with_suffix(".json").read_text()) for path in (whole.weights_path, resumed.weights_path)]
    assert records[0]["length_factor_runs"] == records[1]["length_factor_runs"]
    assert records[0]["length_factor"] == records[1]["length_factor"]
    assert not run_folder_for(weights).exists()  # every sigma's checkpoint goes once the split's outputs are written
