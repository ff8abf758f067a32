"""train.py end to end, on tiny synthetic data, the way a user calls it: bad inputs and unwritable
outputs stop it before any training, a disk that fills during training loses nothing, and bugs
keep their traceback."""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import train
from engine import training
from models.backbone import BackboneInit
from models.checkpoint import load_checkpoint
from models.csta import build_csta
from tests.disk import disk_fills_during_run, disk_full
from utils.lock import acquire_lock, lock_path_for

ROOT = Path(__file__).resolve().parents[1]


def train_args(tiny_data_dir, tiny_splits, weights_dir, *extra):
    return ["--dataset", "SumMe", "--split", "1", "--epochs", "1", "--device", "cpu", "--random-init",
            "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights_dir), *extra]


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    @property
    def text(self):
        return "\n".join(self.lines)


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if training starts."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started although the run should have been refused")

    monkeypatch.setattr(training, "train_split", refuse)
    monkeypatch.setattr(training, "train_method_split", refuse)


@pytest.fixture(scope="module")
def disk_filled_run(tiny_data_dir, tiny_splits, tmp_path_factory):
    """One real training run whose weights folder fills up after the start checks passed."""
    tmp = tmp_path_factory.mktemp("filled")
    weights, spare = tmp / "weights", tmp / "system_tmp"
    spare.mkdir()
    records = Records()
    logging.getLogger().addHandler(records)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr("tempfile.tempdir", str(spare))  # the fallback goes under the system's temporary folder
        disk_fills_during_run(monkeypatch, weights)
        code = train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, weights)))
    logging.getLogger().removeHandler(records)
    kept = sorted(path for path in spare.rglob("*") if path.is_file())
    return code, weights, spare, kept, records.text


def test_a_disk_that_fills_during_training_loses_nothing(disk_filled_run):
    code, weights, spare, kept, log_text = disk_filled_run
    assert code == 1
    wanted = weights / "SumMe" / "split1.pt"
    assert [path.name for path in kept] == ["split1.json", "split1.pt", "split1_curve.png"]
    assert all(str(path).endswith(str(wanted.parent / path.name)) for path in kept)  # the asked layout, below the fallback folder
    model = build_csta(BackboneInit.RANDOM)
    load_checkpoint(model, next(path for path in kept if path.suffix == ".pt"))  # the trained weights, whole
    assert f"could not write {wanted} (No space left on device); kept it as {kept[1]}" in log_text
    assert "3 file(s) could not be written where asked and were kept elsewhere" in log_text
    assert not list(weights.rglob("*.lock")) and not list(weights.rglob("*.partial"))


def _obstruct(path: Path, is_file: bool) -> None:
    """Make ``path`` unwritable for anyone, root included: a folder where a file goes, a file where a folder goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_file:
        path.mkdir()
    else:
        path.write_text("in the way")


def test_every_output_location_is_checked_before_training(disk_filled_run, tiny_data_dir, tiny_splits, tmp_path, no_training, caplog):
    """Each file and folder train.py wrote (found from the run above) is made unwritable in turn."""
    _, weights, spare, kept, _ = disk_filled_run
    prefix = next(iter(kept)).parent.parent  # .../<fallback>/<weights as an absolute path>/SumMe -> weights level
    files = [path.relative_to(prefix) for path in kept]
    folders = sorted({parent for path in files for parent in path.parents if parent != Path(".")})
    cases = [(path, True) for path in files] + [(path, False) for path in folders] + [(Path("."), False)]
    for number, (relative, is_file) in enumerate(cases):
        weights_dir = tmp_path / f"w{number}"
        _obstruct(weights_dir / relative, is_file)
        caplog.clear()
        code = train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, weights_dir)))
        assert code == 2, relative
        assert str(weights_dir / relative) in caplog.text, caplog.text


def test_a_full_disk_is_refused_before_training(tiny_data_dir, tiny_splits, tmp_path, monkeypatch, no_training, caplog):
    disk_full(monkeypatch, tmp_path / "w")
    assert train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, tmp_path / "w"))) == 2
    assert f"cannot write in {tmp_path / 'w' / 'SumMe'}: No space left on device" in caplog.text
    assert not (tmp_path / "w").exists()


def test_a_second_run_on_the_same_weights_is_refused(tiny_data_dir, tiny_splits, tmp_path, no_training, caplog):
    weights = tmp_path / "w" / "SumMe" / "split1.pt"
    weights.parent.mkdir(parents=True)
    first = acquire_lock(weights, command="python train.py --the-first-run")
    try:
        assert train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, tmp_path / "w"))) == 2
    finally:
        first.release()
    assert f"{weights} is being written by another run (pid {os.getpid()}" in caplog.text
    assert "python train.py --the-first-run" in caplog.text


def test_no_output_is_ever_an_input(tiny_data_dir, tiny_splits, tmp_path, no_training, caplog):
    """A splits file kept in the weights folder under a record's name is an input, never overwritten."""
    splits = tmp_path / "w" / "SumMe" / "split1.json"
    splits.parent.mkdir(parents=True)
    shutil.copy(tiny_splits["SumMe"], splits)
    args = train_args(tiny_data_dir, {"SumMe": splits}, tmp_path / "w")
    assert train.main(train.parse_args(args)) == 2
    assert f"the output {splits} is the input {splits}" in caplog.text
    assert splits.read_bytes() == tiny_splits["SumMe"].read_bytes()


@pytest.mark.parametrize("bug", [RuntimeError("CUDA out of memory (test)"), KeyError("a bug")], ids=["RuntimeError", "KeyError"])
def test_bugs_keep_their_traceback(bug, tiny_data_dir, tiny_splits, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr(training, "train_epoch", broken)
    with pytest.raises(type(bug)):
        train.main(train.parse_args(train_args(tiny_data_dir, tiny_splits, tmp_path / "w")))
    assert not lock_path_for(tmp_path / "w" / "SumMe" / "split1.pt").exists()  # released all the same


def test_refusals_come_before_torch_is_imported(tiny_data_dir, tiny_splits, tmp_path):
    (tmp_path / "file").write_text("x")
    args = train_args(tiny_data_dir, tiny_splits, tmp_path / "file" / "weights")
    code = f"import sys, train; code = train.main(train.parse_args({args!r})); print(code, 'torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["2", "False"]
    assert f"{tmp_path / 'file'} exists and is not a folder" in result.stderr


def test_train_stops_before_work_when_data_is_missing(tmp_path, caplog):
    code = train.main(train.parse_args(["--dataset", "SumMe", "--data-dir", str(tmp_path), "--random-init", "--device", "cpu"]))
    assert code == 2
    assert "eccv16_dataset_summe_google_pool5.h5" in caplog.text


def test_train_stops_when_imagenet_weights_are_missing(tiny_data_dir, tiny_splits, offline_empty_torch_home, tmp_path, caplog):
    code = train.main(train.parse_args([
        "--dataset", "SumMe", "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"]),
        "--weights-dir", str(tmp_path / "w"), "--device", "cpu",
    ]))
    assert code == 2
    assert "googlenet-1378be20.pth" in caplog.text and "--random-init" in caplog.text
    assert not (tmp_path / "w").exists()


def test_splits_file_needs_one_dataset(tmp_path):
    with pytest.raises(SystemExit):
        train.parse_args(["--splits-file", str(tmp_path / "x.json")])
