"""engine/scale/ray_sweep.py on a real local Ray (2 CPUs): a worker killed mid-run is retried, a failing run
is named while the others finish, and the files are those of the same runs done in this process."""

import logging
import os
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from config import DATASETS, EpochRule, PGLSumConfig, TrainConfig
from dataset.splits import read_splits
from engine.scale import ray_sweep as sweep
from engine.scale.ray_sweep import RunJob, SweepConfig, SweepFailed, SweepResources, gpus_for
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import ProtocolOverrides, TrainingPlan, plan_for
from models.method_choice import ModelChoice
from tests.conftest import stop_in_epoch


def dies_once(job: RunJob) -> sweep.RunOutcome:
    """run_job, but the worker process of split 1's first attempt dies at once (as if killed -9)."""
    marker = Path(job.weights_dir).parent / "died"
    if job.split.number == 1 and not marker.exists():
        marker.touch()
        os._exit(1)
    return sweep.run_job(job)


def jobs_for(tiny_data_dir, tiny_splits, weights_dir):
    spec = DATASETS["SumMe"]
    cfg = TrainConfig(epochs=1, seed=7, imagenet_init=False)
    return [RunJob(spec, split, TrainingPlan.from_train_config(cfg), tiny_data_dir, weights_dir, seed_folder=False) for split in read_splits(tiny_splits["SumMe"], spec)]


def test_a_killed_worker_is_retried_and_a_failing_run_does_not_stop_the_others(local_ray, tiny_data_dir, tiny_splits, tmp_path, caplog):
    expected = tmp_path / "in_process"
    threads = torch.get_num_threads()
    try:
        for job in jobs_for(tiny_data_dir, tiny_splits, expected):
            sweep.run_job(job)
    finally:
        torch.set_num_threads(threads)

    weights = tmp_path / "sweep" / "weights"
    jobs = jobs_for(tiny_data_dir, tiny_splits, weights)
    empty = tmp_path / "no_data"
    empty.mkdir()
    weights.parent.mkdir()
    broken = replace(jobs[1], plan=jobs[1].plan.with_seed(8), data_dir=empty)
    with pytest.raises(SweepFailed) as failed, caplog.at_level(logging.WARNING, logger="engine.scale.ray_sweep"):
        sweep.run_sweep([*jobs, broken], SweepConfig(max_retries=2, progress=False), train_one=dies_once)
    assert (tmp_path / "sweep" / "died").exists()  # split 1's first worker did die
    assert "split 1: its worker died" in caplog.text and "start 2 of 3" in caplog.text  # and it was started again
    assert "1 of 3 run(s) failed" in str(failed.value) and "SumMe seed 8 split 2" in str(failed.value)
    assert str(empty) in str(failed.value)  # the run's own error: its data folder has no h5 file
    for split in (1, 2):
        first, second = torch.load(expected / "SumMe" / f"split{split}.pt"), torch.load(weights / "SumMe" / f"split{split}.pt")
        assert all(torch.equal(first[key], second[key]) for key in first)


def always_dies(job: RunJob) -> sweep.RunOutcome:
    """A worker that dies at every start of the run (as if its machine kept killing it)."""
    (Path(job.weights_dir) / f"start{len(list(Path(job.weights_dir).glob('start*')))}").touch()
    os._exit(1)


def test_a_run_whose_worker_keeps_dying_fails_after_its_retries(local_ray, tiny_data_dir, tiny_splits, tmp_path):
    job = jobs_for(tiny_data_dir, tiny_splits, tmp_path)[0]
    with pytest.raises(SweepFailed, match=r"1 of 1 run\(s\) failed[\s\S]*split 1: its worker died 2 time\(s\)"):
        sweep.run_sweep([job], SweepConfig(max_retries=1, progress=False), train_one=always_dies)
    assert sorted(path.name for path in tmp_path.glob("start*")) == ["start0", "start1"]  # started twice, no more


def test_a_run_the_cluster_cannot_hold_is_refused_before_it_waits_forever(local_ray, tiny_data_dir, tiny_splits, tmp_path):
    jobs = jobs_for(tiny_data_dir, tiny_splits, tmp_path)
    with pytest.raises(SweepResources, match="asks for 4 CPU"):
        sweep.run_sweep(jobs, SweepConfig(cpus_per_run=4))
    with pytest.raises(SweepResources, match="asks for 0.5 GPU"):
        sweep.run_sweep(jobs, SweepConfig(gpus_per_run=0.5))
    assert not tmp_path.joinpath("SumMe").exists()


@pytest.mark.parametrize(("share", "device", "cluster_gpus", "expected"), [
    (None, None, 0, 0.0), (None, None, 2, 1.0), (None, "cpu", 2, 0.0), (0.25, None, 1, 0.25), (0.25, "cuda", 1, 0.25), (0.0, "cpu", 1, 0.0),
])
def test_gpus_per_run(share, device, cluster_gpus, expected):
    assert gpus_for(SweepConfig(gpus_per_run=share, device=device), cluster_gpus) == expected


@pytest.mark.parametrize(("share", "device", "message"), [(0.5, "cpu", "choose one"), (0.0, "cuda", "needs a GPU share"), (2.0, None, "has 1")])
def test_gpu_requests_that_cannot_work_are_refused(share, device, message):
    with pytest.raises(SweepResources, match=message):
        gpus_for(SweepConfig(gpus_per_run=share, device=device), 1)


def test_a_retried_run_goes_on_from_its_checkpoint(tiny_data_dir, tiny_splits, tmp_path, monkeypatch, caplog):
    """What Ray's retry of a killed worker does (run_job again): the run resumes after its last finished epoch
    and ends as an uninterrupted one; a finished run is skipped; RETRAIN (a --restart sweep's tasks) trains it again."""
    caplog.set_level(logging.INFO)
    spec = DATASETS["SumMe"]
    plan = plan_for(ModelChoice("PGL-SUM", PGLSumConfig()), ProtocolOverrides(epochs=2, videos_per_step=2, seed=7), EpochRule.LAST)
    job = RunJob(spec, read_splits(tiny_splits["SumMe"], spec)[0], plan, tiny_data_dir, tmp_path / "w", seed_folder=False)
    assert job.resume is ResumePolicy.AUTO
    threads = torch.get_num_threads()
    try:
        whole = sweep.run_job(replace(job, weights_dir=tmp_path / "whole")).training
        stop_in_epoch(monkeypatch, 2)  # the worker stops after epoch 1's checkpoint
        with pytest.raises(KeyboardInterrupt):
            sweep.run_job(job)
        monkeypatch.undo()
        retried = sweep.run_job(job).training
        assert "resuming after epoch 1 of 2" in caplog.text
        assert retried.history == whole.history
        first, second = torch.load(whole.weights_path, weights_only=True), torch.load(retried.weights_path, weights_only=True)
        assert all(torch.equal(first[key], second[key]) for key in first)
        assert sweep.run_job(job).training.history == whole.history and "already trained by this command" in caplog.text
        caplog.clear()
        sweep.run_job(replace(job, resume=ResumePolicy.RETRAIN))
        assert "already trained" not in caplog.text and "resuming" not in caplog.text
    finally:
        torch.set_num_threads(threads)


def test_a_summdiff_run_through_ray_equals_the_same_run_in_this_process(local_ray, tiny_data_dir, tiny_splits, tmp_path):
    """A sampled method through a real local Ray: its options, EMA and seeded sampling travel with the job, so the
    worker writes the weights and the record (its sampled held-out numbers) this process writes."""
    import json  # noqa: PLC0415

    from models.summdiff_config import SummDiffConfig  # noqa: PLC0415

    spec = DATASETS["SumMe"]
    small = SummDiffConfig(decoder_layers=1, hidden_dim=32, heads=2, feedforward_dim=64, sampling_steps=2, ema=True, ema_decay=0.9)
    plan = plan_for(ModelChoice("SummDiff", small), ProtocolOverrides(epochs=2, videos_per_step=2, seed=3), EpochRule.LAST)
    split = read_splits(tiny_splits["SumMe"], spec)[0]
    job = RunJob(spec, split, plan, tiny_data_dir, tmp_path / "here", seed_folder=False)
    threads = torch.get_num_threads()
    try:
        here = sweep.run_job(job).training.weights_path
    finally:
        torch.set_num_threads(threads)
    sweep.run_sweep([replace(job, weights_dir=tmp_path / "ray")], SweepConfig(progress=False))
    there = tmp_path / "ray" / "SumMe" / "split1.pt"
    first, second = torch.load(here, weights_only=True), torch.load(there, weights_only=True)
    assert first.keys() == second.keys() and all(torch.equal(first[key], second[key]) for key in first)
    records = [json.loads(path.with_suffix(".json").read_text()) for path in (here, there)]
    assert records[0]["method"] == records[1]["method"] == "SummDiff"
    assert records[0]["history"] == records[1]["history"] and records[0]["model_options"]["ema"] is True
