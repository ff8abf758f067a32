"""One model on several processes (engine/scale/torchrun.py): two real gloo processes train the same
weights as one process taking the mean gradient of the same two videos per step (one video per step,
CSTA's), and the same weights as one process taking PGL-SUM's and CA-SUM's several-video step when
they share it; torchrun runs train.py with rank 0 alone writing, and its record says how many videos
make a step and whether it is the method's."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import socket
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from config import CASumConfig, PGLSumConfig
from engine.run_paths import run_checkpoint_path, run_folder_for, weights_path_for
from engine.scale import torchrun as distributed
from engine.scale.launch import Launch
from engine.scale.torchrun import Ranks, StepShare, UnevenStepShare, rank_share
from engine.train.epoch import EpochSteps, RuleKeeper, TooFewTrainingVideos, VideoStream, train_epoch, train_epoch_accumulated
from engine.train.resume import RunCheckpoint, RunFingerprint, RunSession
from evaluation.protocol import MeanMetrics
from models.methods import EpochRule, LossAverage, method_spec
from tests.engine.conftest import train_command
from utils.runtime import seed_everything

ROOT = Path(__file__).resolve().parents[3]
N_VIDEOS = 5  # two steps of two videos, one left over each epoch
EPOCHS = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_videos() -> list[SimpleNamespace]:
    generator = torch.Generator().manual_seed(11)
    return [SimpleNamespace(features=torch.randn(length, 1024, generator=generator), gtscore=torch.rand(length, generator=generator))
            for length in (7, 9, 5, 8, 6)]


def make_model() -> tuple[nn.Module, torch.optim.Optimizer]:
    seed_everything(3)
    model = nn.Sequential(nn.Linear(1024, 16), nn.ReLU(), nn.Linear(16, 1), nn.Flatten(0), nn.Sigmoid())
    return model, torch.optim.SGD(model.parameters(), lr=0.5)  # not Adam: it would hide a sum taken for a mean


def join_gloo(rank: int, port: int) -> None:
    """This spawned process as rank ``rank`` of 2 gloo processes on the CPU, one torch thread."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2")
    torch.set_num_threads(1)
    distributed.start(Launch(rank, rank, 2), "cpu")


@contextlib.contextmanager
def gloo_rank(rank: int, port: int) -> Iterator[None]:
    """join_gloo for the block, distributed.stop after it."""
    join_gloo(rank, port)
    try:
        yield
    finally:
        distributed.stop()


def ddp_worker(rank: int, port: int, out: str) -> None:
    with gloo_rank(rank, port):
        model, optimizer = make_model()
        trainer = distributed.wrap(model, torch.device("cpu"))
        videos = make_videos()
        losses = [distributed.train_epoch(trainer, optimizer, videos) for _ in range(EPOCHS)]
        torch.save({"weights": model.state_dict(), "losses": losses}, Path(out) / f"rank{rank}.pt")


def test_two_gloo_processes_train_as_one_process_on_the_mean_gradient_of_two_videos(tmp_path):
    mp.spawn(ddp_worker, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]

    model, optimizer = make_model()
    videos = make_videos()
    losses = []
    for _ in range(EPOCHS):  # rank 0's draw of the order, its first 4 videos in steps of 2; DDP averages, hence / 2
        order = torch.randperm(N_VIDEOS).tolist()
        half = train_epoch_accumulated(model, optimizer, videos, lambda scores, gt, _: nn.functional.mse_loss(scores, gt) / 2, 2, order=order)
        losses.append(2 * half)

    for result in ranks:
        assert result["weights"].keys() == model.state_dict().keys()
        for key, value in model.state_dict().items():
            assert torch.allclose(result["weights"][key], value, atol=1e-6), key
        assert result["losses"] == pytest.approx(losses, rel=1e-5)
    assert not torch.equal(ranks[0]["weights"]["0.weight"], make_model()[0].state_dict()["0.weight"])  # it did train


SHARED_STEP = 4  # the method's videos per optimiser step: two per process
# no dropout: rank 1 draws its masks from its own generator, so only a dropout-free run can match a lone one exactly
TINY = {"PGL-SUM": PGLSumConfig(feature_dim=16, hidden_dim=16, heads=2, num_segments=2, local_heads=2, dropout=0.0),
        "CA-SUM": CASumConfig(feature_dim=16, hidden_dim=16, block_size=4, dropout=0.0)}
# the authors' Adam, and SGD, whose step shows a gradient's scale (Adam's hides most of a mean taken for a sum)
OPTIMIZERS = ("adam", "sgd")


def method_videos() -> list[SimpleNamespace]:
    """Nine videos: two steps of four per epoch, one left over."""
    generator = torch.Generator().manual_seed(23)
    return [SimpleNamespace(features=torch.randn(length, 16, generator=generator), gtscore=torch.rand(length, generator=generator))
            for length in (9, 12, 7, 10, 14, 8, 11, 6, 13)]


def method_training(method: str, optimizer_name: str) -> tuple[nn.Module, torch.optim.Optimizer, EpochSteps]:
    """A fresh tiny model of ``method`` seeded as its authors do, an optimiser, and the method's epoch with SHARED_STEP videos."""
    spec = method_spec(method)
    protocol = spec.protocol
    seed_everything(protocol.seed)
    model = spec.build(TINY[method])
    optimizer = (torch.optim.Adam(model.parameters(), lr=protocol.learning_rate, weight_decay=protocol.weight_decay)
                 if optimizer_name == "adam" else torch.optim.SGD(model.parameters(), lr=0.5))
    steps = EpochSteps(spec.loss, SHARED_STEP, protocol.grad_clip_norm, protocol.shuffle, protocol.length_factor, protocol.loss_average)
    return model, optimizer, steps


def method_worker(rank: int, port: int, out: str) -> None:
    with gloo_rank(rank, port):
        results = {}
        for method in TINY:
            for optimizer_name in OPTIMIZERS:
                model, optimizer, steps = method_training(method, optimizer_name)
                trainer = distributed.wrap(model, torch.device("cpu"))
                losses = [distributed.train_epoch(trainer, optimizer, method_videos(), steps) for _ in range(EPOCHS)]
                results[f"{method} {optimizer_name}"] = {"weights": model.state_dict(), "losses": losses}
        torch.save(results, Path(out) / f"rank{rank}.pt")


def test_two_gloo_processes_sharing_pgl_sum_and_ca_sum_steps_train_the_lone_process_weights(tmp_path):
    """Each step's four videos, two per process, give the lone process's summed and clipped gradient and so its weights."""
    mp.spawn(method_worker, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]
    for method in TINY:
        for optimizer_name in OPTIMIZERS:
            model, optimizer, steps = method_training(method, optimizer_name)
            start = {key: value.clone() for key, value in model.state_dict().items()}
            losses = [train_epoch(model, optimizer, method_videos(), steps) for _ in range(EPOCHS)]
            name = f"{method} {optimizer_name}"
            moved = max((value - start[key]).abs().max().item() for key, value in model.state_dict().items())
            assert moved > 1e-4, name  # it trained, by more than the tolerance
            for result in (rank[name] for rank in ranks):
                assert result["weights"].keys() == model.state_dict().keys()
                for key, value in model.state_dict().items():
                    torch.testing.assert_close(result["weights"][key], value, rtol=0, atol=1e-5, msg=f"{name}: {key}")
                assert result["losses"] == pytest.approx(losses, rel=1e-5), name


def train_through_hooks(weights: Path, stop_after: int | None = None, wrappers: list | None = None) -> None:
    """Train EPOCHS epochs through the resume hooks, as train_method_split does, from a fresh model, optimiser,
    keeper and DDP wrapper; ``stop_after`` leaves after that epoch's checkpoint, as a kill would (nothing closed).
    ``wrappers`` receives a weak reference to the DDP wrapper."""
    model, optimizer = make_model()
    model.insert(1, nn.Dropout(0.3))  # draws from each rank's own generator: resumed only if every rank's is saved
    trainer = distributed.wrap(model, torch.device("cpu"))
    if wrappers is not None:
        wrappers.append(weakref.ref(trainer))
    fingerprint = RunFingerprint("SumMe", 1, 3, {"protocol": {"epochs": EPOCHS}}, "data", "keys", processes=2)
    session, keeper = RunSession(weights, fingerprint), RuleKeeper(EpochRule.BEST_ON_TEST)
    done, history = session.begin(model, optimizer, keeper)
    for epoch in range(done + 1, EPOCHS + 1):
        loss = distributed.train_epoch(trainer, optimizer, make_videos(), EpochSteps(loss_average=LossAverage.FLOAT32))
        metrics = distributed.on_main(lambda: MeanMetrics(0.0, -loss, -loss))  # noqa: B023 - called at once
        keeper.offer(model, loss, metrics.kendall, metrics.spearman)
        history.append({"epoch": epoch, "loss": loss})
        session.save(epoch, model, optimizer, keeper, history)
        if epoch == stop_after:
            return
    if distributed.current().is_main:
        torch.save({"weights": model.state_dict(), "history": history, "kept": keeper.chosen()[1]}, weights)
    session.close(written_in_place=True)


def resuming_worker(rank: int, port: int, folder: str) -> None:
    """Each rank: an uninterrupted run; a run left after epoch 1; its generators scrambled; that run resumed
    (from the checkpoint alone: model, optimiser, keeper and wrapper are built afresh). Then how many of the
    three DDP wrappers outlived distributed.stop (the automatic collector off: only stop may collect them)."""
    join_gloo(rank, port)
    wrappers: list[weakref.ref] = []
    gc.disable()
    try:
        train_through_hooks(Path(folder) / "whole" / "split1.pt", wrappers=wrappers)
        resumed = Path(folder) / "resumed" / "split1.pt"
        train_through_hooks(resumed, stop_after=1, wrappers=wrappers)
        distributed.on_main(lambda: torch.save(RunCheckpoint.load(run_checkpoint_path(resumed)).generators,
                                               Path(folder) / "generators.pt"))
        seed_everything(1000 + rank)  # what a new process would draw otherwise
        train_through_hooks(resumed, wrappers=wrappers)
    finally:
        distributed.stop()
        alive = sum(ref() is not None for ref in wrappers)
        gc.enable()
    (Path(folder) / f"wrappers_alive{rank}.txt").write_text(str(alive))


def test_a_torchrun_job_restarted_resumes_every_rank_from_the_checkpoint(tmp_path):
    mp.spawn(resuming_worker, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    whole, resumed = tmp_path / "whole" / "split1.pt", tmp_path / "resumed" / "split1.pt"
    assert len(torch.load(tmp_path / "generators.pt", weights_only=True)) == 2  # rank 1's generators too
    first, second = torch.load(whole, weights_only=True), torch.load(resumed, weights_only=True)
    assert first["history"] == second["history"] and [row["epoch"] for row in second["history"]] == [1, 2, 3]
    for part in ("weights", "kept"):
        assert all(torch.equal(first[part][key], second[part][key]) for key in first[part])
    assert not run_folder_for(resumed).exists()
    # a wrapper alive past stop keeps the gloo group (and its threads) to the interpreter's teardown,
    # where destroying it aborts the process now and then (SIGABRT, "terminate called without an active exception")
    assert [(tmp_path / f"wrappers_alive{rank}.txt").read_text() for rank in (0, 1)] == ["0", "0"]


def test_each_rank_takes_its_share_of_every_step():
    order = [4, 0, 3, 1, 2, 6, 5]
    assert rank_share(order, Ranks(0, 2)) == [4, 3, 2]
    assert rank_share(order, Ranks(1, 2)) == [0, 1, 6]  # 5 sits the epoch out
    assert rank_share(order, Ranks(1, 2), per_process=2) == [3, 1]  # step 1: 4 0 | 3 1; 2 6 5 left over
    assert rank_share(order, Ranks(0, 1)) == order


def test_a_lone_process_runs_everything_itself():
    assert distributed.current() == Ranks()
    assert distributed.on_main(lambda: 7) == 7 and distributed.gather("x") == ["x"]
    model = nn.Linear(2, 1)
    assert distributed.wrap(model, torch.device("cpu")) is model
    assert distributed.share_steps(20) == StepShare(20, 1)  # no processes to share with: nothing refused
    with pytest.raises(TooFewTrainingVideos, match="5 training videos cannot fill one optimiser step of 20 videos"):
        distributed.train_epoch(model, torch.optim.SGD(model.parameters(), lr=0.1), make_videos(), EpochSteps(videos_per_step=20))
    assert distributed.record_entry(Ranks())["videos_per_optimizer_step"] == 1
    assert distributed.record_entry(Ranks(), 20)["keeps_method_step"] is True


def test_a_step_of_several_videos_is_shared_out_and_one_video_per_step_becomes_one_per_process():
    shared = StepShare(20, 4)
    assert (shared.per_process, shared.videos_per_optimizer_step, shared.loss_scale, shared.keeps_method_step) == (5, 20, 4.0, True)
    single = StepShare(1, 4)
    assert (single.per_process, single.videos_per_optimizer_step, single.loss_scale, single.keeps_method_step) == (1, 4, 1.0, False)
    assert StepShare(7, 1).per_process == 7
    entry = distributed.record_entry(Ranks(0, 4, "nccl"), 40)
    assert entry["videos_per_optimizer_step"] == 40 and entry["videos_per_process_per_step"] == 10 and entry["keeps_method_step"]
    entry = distributed.record_entry(Ranks(0, 4, "nccl"))
    assert entry["videos_per_optimizer_step"] == 4 and not entry["keeps_method_step"] and "mean gradient" in entry["note"]


def test_a_step_the_processes_cannot_share_evenly_is_refused_naming_both_counts():
    with pytest.raises(UnevenStepShare, match=r"20 videos per optimiser step, which 3 processes cannot share evenly.*1, 2, 4, 5, 10, 20"):
        StepShare(20, 3)
    with pytest.raises(UnevenStepShare, match="which 3 processes"):
        StepShare(2, 3)


def run_torchrun(argv: list[str], processes: int = 2) -> subprocess.CompletedProcess:
    """train.py ``argv`` under torchrun with ``processes`` gloo processes on the CPU (one torch thread each)."""
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_port", str(free_port()),
                str(ROOT / "train.py"), *argv]
    return subprocess.run(torchrun, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
                          timeout=600)


def test_torchrun_trains_one_model_and_only_rank_0_writes(mini, tmp_path):
    """train.py under torchrun with 2 gloo processes on the CPU: 2 training videos, one step per epoch,
    one video per process."""
    done = run_torchrun(train_command(mini, tmp_path / "w", videos=2, epochs=2)[2:])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("2 videos per optimizer step") == 1  # said once, by rank 0
    weights = weights_path_for(tmp_path / "w", "SumMe", 1)
    record = json.loads(weights.with_suffix(".json").read_text())
    assert record["data_parallel"]["processes"] == 2 and record["data_parallel"]["videos_per_optimizer_step"] == 2
    assert record["data_parallel"]["backend"] == "gloo" and record["run"]["processes"] == 2
    assert [row["epoch"] for row in record["history"]] == [1, 2]
    assert sorted(path.name for path in weights.parent.iterdir()) == ["split1.json", "split1.pt", "split1_curve.png"]
    assert not run_folder_for(weights).exists()


def pgl_sum_command(mini, weights_dir: Path) -> list[str]:
    """train.py's arguments for PGL-SUM on the mini split of two training videos, two videos per optimiser step."""
    command = train_command(mini, weights_dir, "--method", "PGL-SUM", "--videos-per-step", "2", "--select", "last", videos=2)
    return [arg for arg in command[2:] if arg != "--random-init"]  # CSTA's trunk only


def test_torchrun_keeps_pgl_sum_s_step_of_two_videos_one_per_process_and_records_it(mini, tmp_path):
    done = run_torchrun(pgl_sum_command(mini, tmp_path / "w"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("the method's step is kept") == 1  # said once, by rank 0
    record = json.loads(weights_path_for(tmp_path / "w", "SumMe", 1).with_suffix(".json").read_text())
    entry = record["data_parallel"]
    assert (entry["processes"], entry["method_videos_per_step"], entry["videos_per_process_per_step"]) == (2, 2, 1)
    assert entry["videos_per_optimizer_step"] == 2 and entry["keeps_method_step"] is True
    # the run's fingerprint says the step is shared, so a checkpoint of the older meaning (each process taking
    # the whole step) is refused on resume rather than continued under another protocol
    assert record["run"]["plan"]["step_shared_by_processes"] is True


def test_torchrun_trains_summdiff_on_shared_length_weighted_steps(mini, tmp_path):
    """SummDiff (one target per annotator, steps weighed by length, a smaller last step) under 2 gloo processes."""
    command = train_command(mini, tmp_path / "w", "--method", "SummDiff", "--videos-per-step", "4", "--decoder-layers", "1",
                            "--sampling-steps", "2", videos=2, epochs=1)
    done = run_torchrun([arg for arg in command[2:] if arg != "--random-init"])
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(weights_path_for(tmp_path / "w", "SumMe", 1).with_suffix(".json").read_text())
    assert record["method"] == "SummDiff" and record["protocol"]["step_loss"] == "length-weighted-mean"
    entry = record["data_parallel"]
    assert (entry["processes"], entry["videos_per_process_per_step"], entry["keeps_method_step"]) == (2, 2, True)
    assert [row["epoch"] for row in record["history"]] == [1] and np.isfinite(record["history"][0]["loss"])


def test_torchrun_refuses_a_step_its_processes_cannot_share_before_training(mini, tmp_path):
    done = run_torchrun(pgl_sum_command(mini, tmp_path / "w"), processes=3)
    assert done.returncode != 0
    assert "2 videos per optimiser step, which 3 processes cannot share evenly" in done.stderr
    assert not (tmp_path / "w").exists() or not any((tmp_path / "w").rglob("*.pt"))  # nothing trained, nothing written


class ListStream(VideoStream):
    """Videos in memory behind the VideoStream interface, recording what each epoch reads."""

    def __init__(self, videos: list) -> None:
        self.videos, self.read = videos, []

    def __len__(self) -> int:
        return len(self.videos)

    def in_order(self, order):
        self.read.extend(order)
        return (self.videos[index] for index in order)


def test_a_streamed_epoch_reads_its_share_once_and_trains_as_a_list_does():
    weights = []
    for videos in (make_videos(), ListStream(make_videos())):
        model, optimizer = make_model()
        torch.manual_seed(4)
        loss = distributed.train_epoch(model, optimizer, videos, EpochSteps(videos_per_step=2))
        weights.append((loss, [p.detach().clone() for p in model.parameters()]))
    assert weights[0][0] == weights[1][0] and all(torch.equal(a, b) for a, b in zip(weights[0][1], weights[1][1], strict=True))
    assert len(videos.read) == 4 and len(set(videos.read)) == 4  # two steps of two; the fifth sits the epoch out


def test_torchrun_trains_videoxum_streamed_and_only_rank_0_writes(videoxum_dir, tmp_path):
    """VideoXum under torchrun (2 gloo processes): 5 training videos, two steps of one video per process per epoch,
    rank 0 scoring validation each epoch and test once, and writing alone."""
    argv = ["--dataset", "VideoXum", "--data-dir", str(videoxum_dir), "--features", "tiny", "--epochs", "2", "--method", "PGL-SUM",
            "--select", "last", "--device", "cpu", "--workers", "0", "--weights-dir", str(tmp_path / "w")]
    done = run_torchrun(argv)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.count("test (scored once") == 1  # said once, by rank 0
    weights = weights_path_for(tmp_path / "w", "VideoXum", 1)
    record = json.loads(weights.with_suffix(".json").read_text())
    assert record["data_parallel"]["processes"] == 2 and record["data_parallel"]["videos_per_optimizer_step"] == 2
    assert record["run"]["processes"] == 2 and [row["epoch"] for row in record["history"]] == [1, 2]
    assert record["test_v2v"]["n_videos"] == 2 and record["metrics_split"] == "validation"
    assert sorted(path.name for path in weights.parent.iterdir()) == ["split1.json", "split1.pt", "split1_curve.png"]
    assert not run_folder_for(weights).exists()


class SelfWeighing(nn.Module):
    """Computes its own loss from the targets, as SummDiff does, but draws nothing: a run is the same on any rank."""

    def __init__(self) -> None:
        super().__init__()
        seed_everything(5)
        self.linear = nn.Linear(16, 1)

    def forward(self, features: torch.Tensor, gtscore: torch.Tensor | None = None) -> torch.Tensor:
        scores = torch.sigmoid(self.linear(features)).squeeze(-1)
        return nn.functional.mse_loss(scores, gtscore) if gtscore is not None and self.training else scores


def weighted_steps() -> EpochSteps:
    """SummDiff's epoch: steps of SHARED_STEP videos weighed by their lengths, the videos left over making a last step."""
    from models.methods import Loss, Shuffle, StepLoss  # noqa: PLC0415

    return EpochSteps(Loss.DENOISING, SHARED_STEP, None, Shuffle.DATALOADER, None, LossAverage.PYTHON_FLOAT,
                      StepLoss.LENGTH_WEIGHTED_MEAN, partial_step=True)


WEIGHTED_SETS = (9, 11)  # one video left over (rank 1 sits the last step out) and three (two and one)


def weighted_worker(rank: int, port: int, out: str) -> None:
    with gloo_rank(rank, port):
        results = {}
        for count in WEIGHTED_SETS:
            model = SelfWeighing()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
            trainer = distributed.wrap(model, torch.device("cpu"))
            videos = (method_videos() * 2)[:count]
            seed_everything(9)
            losses = [distributed.train_epoch(trainer, optimizer, videos, weighted_steps()) for _ in range(EPOCHS)]
            results[count] = {"weights": model.state_dict(), "losses": losses}
        torch.save(results, Path(out) / f"rank{rank}.pt")


def test_two_gloo_processes_share_summdiffs_length_weighted_steps_and_its_smaller_last_step(tmp_path):
    """Each step's videos weigh by their share of the step's time steps, counted over both processes; the videos left
    over make a last step dealt out in turn (a process with none joins it with a zero-weighted pass): the lone weights."""
    mp.spawn(weighted_worker, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]
    for count in WEIGHTED_SETS:
        model = SelfWeighing()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        start = {key: value.clone() for key, value in model.state_dict().items()}
        seed_everything(9)
        losses = [train_epoch(model, optimizer, (method_videos() * 2)[:count], weighted_steps()) for _ in range(EPOCHS)]
        assert max((value - start[key]).abs().max().item() for key, value in model.state_dict().items()) > 1e-3
        for result in (rank[count] for rank in ranks):
            for key, value in model.state_dict().items():
                torch.testing.assert_close(result["weights"][key], value, rtol=0, atol=1e-6, msg=f"{count} videos: {key}")
            assert result["losses"] == pytest.approx(losses, rel=1e-6), count


def test_a_smaller_last_step_of_summed_losses_is_refused_under_torchrun(monkeypatch):
    from models.methods import StepLoss  # noqa: PLC0415

    distributed.refuse_unshared_steps(StepLoss.SUM, True, "a method on SumMe")  # one process: nothing to share
    monkeypatch.setattr(distributed, "current", lambda: Ranks(0, 2, "gloo"))
    distributed.refuse_unshared_steps(StepLoss.SUM, False, "CSTA on SumMe")  # the other methods' steps are shared
    distributed.refuse_unshared_steps(StepLoss.LENGTH_WEIGHTED_MEAN, True, "SummDiff on SumMe")  # and SummDiff's
    with pytest.raises(distributed.DistributedError, match="a method on SumMe: a smaller last step of summed losses"):
        distributed.refuse_unshared_steps(StepLoss.SUM, True, "a method on SumMe")
