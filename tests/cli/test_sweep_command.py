"""train.py --ray (cli/sweep_command.py): the runs it hands to Ray, and on a real local Ray (2 CPUs) the same
files as the sequential command."""

import json
from argparse import Namespace

import torch

import train
from cli.sweep_command import sweep_jobs
from config import DATASETS, TrainConfig
from dataset.splits import Split
from engine.run_paths import run_checkpoint_path, weights_path_for
from engine.train.resume import discard_checkpoints
from engine.train.resume_policy import ResumePolicy
from engine.train.run_config import TrainingPlan

SEEDS = ("1", "2")


def train_args(data_dir, splits, weights_dir, *extra):
    return ["--dataset", "SumMe", "--epochs", "2", "--device", "cpu", "--random-init", "--seeds", *SEEDS,
            "--data-dir", str(data_dir), "--splits-file", str(splits["SumMe"]), "--weights-dir", str(weights_dir), *extra]


def written(weights_dir):
    return sorted(path.relative_to(weights_dir) for path in weights_dir.rglob("*") if path.is_file())


def train_with_one_thread(argv: list[str]) -> None:
    """train.py in this process with one torch thread, as each Ray run with --cpus-per-run 1 has (sums are ordered by it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert train.main(train.parse_args(argv)) == 0
    finally:
        torch.set_num_threads(threads)


def sequential_and_on_ray(argv_for, tmp_path, caplog):
    """train.py with ``argv_for(weights_dir)``, in this process with one thread, then with --ray (1 CPU per run): the two
    weights folders."""
    sequential, on_ray = tmp_path / "sequential", tmp_path / "ray"
    train_with_one_thread(argv_for(sequential))
    with caplog.at_level("INFO"):
        assert train.main(train.parse_args([*argv_for(on_ray), "--ray", "--cpus-per-run", "1"])) == 0
    return sequential, on_ray


def assert_same_files(sequential, on_ray, count: int) -> None:
    """The same ``count`` files in both folders: weights bit for bit, records equal but for the time they were written."""
    files = written(sequential)
    assert len(files) == count and files == written(on_ray)
    for name in files:
        if name.suffix == ".pt":
            first, second = torch.load(sequential / name), torch.load(on_ray / name)
            assert first.keys() == second.keys()
            assert all(torch.equal(first[key], second[key]) for key in first), name
        elif name.suffix == ".json":  # a record that names its own files names them in its own folder
            first = json.loads((sequential / name).read_text().replace(str(sequential), str(on_ray)))
            second = json.loads((on_ray / name).read_text())
            for record in (first, second):
                del record["written"]
            assert first == second, name


def test_a_ray_sweep_writes_the_same_files_as_the_sequential_command(local_ray, tiny_data_dir, tiny_splits, tmp_path, caplog):
    """Bit for bit on CPU with as many torch threads as CPUs per run (the summation order depends on it)."""
    sequential, on_ray = sequential_and_on_ray(lambda weights: train_args(tiny_data_dir, tiny_splits, weights), tmp_path, caplog)
    assert "4 run(s), up to 2 at a time" in caplog.text
    assert "mean ± std over 2 seeds" in caplog.text

    assert_same_files(sequential, on_ray, 2 * 2 * 3)  # weights, record and curve of 2 seeds x 2 splits


def test_a_videoxum_ray_sweep_writes_the_same_files_as_the_sequential_command(local_ray, videoxum_dir, tmp_path, caplog):
    """VideoXum on Ray: one task per seed, each opening and streaming the data itself; bit for bit the sequential files."""
    def args(weights_dir, *extra):
        return ["--dataset", "VideoXum", "--data-dir", str(videoxum_dir), "--features", "tiny", "--epochs", "1", "--method", "PGL-SUM",
                "--select", "last", "--device", "cpu", "--workers", "0", "--seeds", *SEEDS, "--weights-dir", str(weights_dir), *extra]

    sequential, on_ray = sequential_and_on_ray(args, tmp_path, caplog)
    assert "2 run(s), up to 2 at a time" in caplog.text and "test (scored once" in caplog.text

    assert_same_files(sequential, on_ray, 2 * 3)  # weights, record and curve of 2 seeds


def test_a_restarted_sweep_discards_old_checkpoints_once_and_its_tasks_keep_their_own(tmp_path):
    args = Namespace(data_dir=tmp_path, weights_dir=tmp_path / "w", resume=ResumePolicy.RESTART)
    split = Split(1, ("video_1",), ("video_2",))
    jobs = sweep_jobs(args, TrainingPlan.from_train_config(TrainConfig(epochs=1)), [(DATASETS["SumMe"], None, [split])], [3])
    assert [job.resume for job in jobs] == [ResumePolicy.RETRAIN]  # a retried task must not discard what it wrote
    old = run_checkpoint_path(weights_path_for(tmp_path / "w", "SumMe", 1), 0.5)
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an older run's")
    discard_checkpoints(weights_path_for(tmp_path / "w", "SumMe", 1))
    assert not old.exists()


def test_a_mrhisum_ray_sweep_of_summdiff_writes_the_same_files_as_the_sequential_command(local_ray, tmp_path, caplog):
    """Mr.HiSum on Ray (engine/scale/own_split_runs.py), with SummDiff: each task opens the h5 itself, trains, keeps one
    checkpoint per metric and scores them on test; the files are the sequential command's, bit for bit."""
    from dataset.replay_synthetic import SyntheticReplayConfig  # noqa: PLC0415
    from sources.replay.synthetic import write_synthetic_mrhisum  # noqa: PLC0415

    data = write_synthetic_mrhisum(tmp_path / "data", SyntheticReplayConfig(n_videos=12, dim=16, min_rows=20, median_rows=30,
                                                                            max_rows=45, seed=3))

    def args(weights_dir, *extra):
        return ["--dataset", "MrHiSum", "--data-dir", str(data), "--epochs", "1", "--method", "SummDiff", "--decoder-layers", "1",
                "--sampling-steps", "2", "--device", "cpu", "--workers", "0", "--seeds", *SEEDS, "--weights-dir", str(weights_dir), *extra]

    sequential, on_ray = sequential_and_on_ray(args, tmp_path, caplog)
    assert "2 run(s), up to 2 at a time" in caplog.text and "reported (test, each metric from its own checkpoint)" in caplog.text
    files = written(sequential)
    assert any(name.name == "split1_map50.pt" for name in files)
    assert_same_files(sequential, on_ray, len(files))
