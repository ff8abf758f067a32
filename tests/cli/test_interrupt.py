"""Ctrl-C, the same in every script: one line (what was kept, how to go on), exit status 130, no traceback.

The scripts run as a user starts them, in a subprocess, and get SIGINT once they are at work (a file
or a log line they make says so: no fixed sleep). ablate.py and score.py are interrupted in-process, a
KeyboardInterrupt raised inside their work as SIGINT would raise it, which keeps them fast.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import ablate
import score
import train
from cli.interrupt import EXIT_INTERRUPTED, stops_on_interrupt
from engine.run_paths import run_checkpoint_path, weights_path_for
from tests.conftest import ROOT, stop_in_epoch
from utils.exit import EXIT_TERMINATED

WAIT_S = 120  # generous: the 2-core test machine is shared; the wait ends as soon as the sign is there


def _as_in_a_terminal() -> None:
    """The child takes Ctrl-C as a terminal's foreground command does, even when the tests run where SIGINT is ignored
    (a shell's background job, nohup): Python then installs no handler, and SIGINT would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sigint_once(command: list[str], ready: Callable[[str], bool], log_file: Path, sent: int = signal.SIGINT) -> tuple[int, str]:
    """Run ``command`` from the repository, send SIGINT (or ``sent``) once ``ready(its stderr so far)`` holds, and return
    (status, stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with log_file.open("w") as stderr:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                                 preexec_fn=_as_in_a_terminal)
    deadline = time.monotonic() + WAIT_S
    try:
        while not ready(log_file.read_text()):
            assert child.poll() is None, f"the command ended before it could be interrupted:\n{log_file.read_text()}"
            assert time.monotonic() < deadline, f"no sign of work after {WAIT_S} s:\n{log_file.read_text()}"
            time.sleep(0.02)
        child.send_signal(sent)
        child.wait(timeout=WAIT_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return child.returncode, log_file.read_text()


def _interrupted_lines(lines: str | list[str]) -> list[str]:
    """The "interrupted: ..." lines of a stderr text or of caplog.messages."""
    return [line for line in (lines.splitlines() if isinstance(lines, str) else lines) if line.startswith("interrupted")]


def _status_in_process(main: Callable[[object], int], args: object) -> int:
    """``main(args)``'s status, a KeyboardInterrupt escaping it a failed test (pytest would take it for the user's Ctrl-C)."""
    try:
        return main(args)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C left main() as a KeyboardInterrupt (a traceback), not as status 130 and one line")


def test_train_stops_with_one_line_and_keeps_the_checkpoint(tiny_data_dir, tiny_splits, tmp_path):
    weights = tmp_path / "weights"
    checkpoint = run_checkpoint_path(weights_path_for(weights, "SumMe", 1))
    command = [sys.executable, "train.py", "--dataset", "SumMe", "--split", "1", "--device", "cpu", "--data-dir", str(tiny_data_dir),
               "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights), "--method", "PGL-SUM",
               "--epochs", "100000", "--videos-per-step", "2", "--select", "last"]
    status, stderr = _sigint_once(command, lambda _: checkpoint.is_file(), tmp_path / "stderr.txt")  # an epoch is done: training is under way

    assert status == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr, stderr
    (line,) = _interrupted_lines(stderr)
    assert f"kept under {weights}" in line and "run the same command again" in line and "--restart" in line
    assert checkpoint.is_file() and checkpoint.parent.name == "split1.run"  # where the line says
    assert not weights_path_for(weights, "SumMe", 1).exists()  # no weights of an unfinished run


def test_sigterm_stops_train_as_ctrl_c_does_and_leaves_no_lock(tiny_data_dir, tiny_splits, tmp_path):
    """kill, a job scheduler or torchrun stopping its workers: the run unwinds (no lock, no temporary file), says one
    line and returns 143; the same command then goes on from the checkpoint."""
    weights = tmp_path / "weights"
    checkpoint = run_checkpoint_path(weights_path_for(weights, "SumMe", 1))
    command = [sys.executable, "train.py", "--dataset", "SumMe", "--split", "1", "--device", "cpu", "--data-dir", str(tiny_data_dir),
               "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights), "--method", "PGL-SUM",
               "--epochs", "100000", "--videos-per-step", "2", "--select", "last"]
    status, stderr = _sigint_once(command, lambda _: checkpoint.is_file(), tmp_path / "stderr.txt", signal.SIGTERM)

    assert status == EXIT_TERMINATED, stderr
    assert "Traceback" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.startswith("terminated (SIGTERM): ")], stderr
    assert checkpoint.is_file()
    assert not list(weights.rglob("*.lock")) and not list(weights.rglob("*.partial")), sorted(weights.rglob("*"))


def test_inference_stops_with_one_line_and_writes_nothing(tiny_data_dir, tiny_splits, tmp_path):
    weights = tmp_path / "weights"
    data = ["--dataset", "SumMe", "--split", "1", "--device", "cpu", "--data-dir", str(tiny_data_dir),
            "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights)]
    assert train.main(train.parse_args([*data, "--method", "PGL-SUM", "--epochs", "1", "--videos-per-step", "2", "--select", "last"])) == 0
    report = tmp_path / "report"
    # the scores are in (their table's mean row is out) and the report's Random baseline is being drawn, a million times
    command = [sys.executable, "inference.py", *data, "--report", str(report), "--json", str(tmp_path / "t.json"),
               "--random-draws", "1000000"]
    status, stderr = _sigint_once(command, lambda text: "\n  mean " in text, tmp_path / "stderr.txt")

    assert status == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr, stderr
    (line,) = _interrupted_lines(stderr)
    assert "nothing is written before every split is scored" in line and "run the same command again" in line
    assert not report.exists() and not (tmp_path / "t.json").exists()


def test_ablate_stops_with_one_line_and_keeps_the_checkpoint(tiny_data_dir, tiny_splits, tmp_path, monkeypatch, caplog):

    grid = tmp_path / "grid.json"
    grid.write_text('{"variants": [{"name": "CSTA", "group": "Components"}]}')
    weights = tmp_path / "weights"
    stop_in_epoch(monkeypatch, 2)
    argv = ["--grid", str(grid), "--dataset", "SumMe", "--split", "1", "--epochs", "2", "--device", "cpu", "--random-init",
            "--data-dir", str(tiny_data_dir), "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(weights)]
    with caplog.at_level(logging.INFO):
        assert _status_in_process(ablate.main, ablate.parse_args(argv)) == EXIT_INTERRUPTED
    (line,) = _interrupted_lines(caplog.messages)
    assert f"kept under {weights / 'ablation'}" in line and "run the same command again" in line
    assert run_checkpoint_path(weights_path_for(weights / "ablation" / "csta", "SumMe", 1)).is_file()


def test_score_stops_with_one_line(tmp_path, monkeypatch, caplog):
    from builder import score_predictions

    def ctrl_c(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(score_predictions, "score_predictions", ctrl_c)
    out = tmp_path / "figures.json"
    for name in ("my.h5", "p.json"):  # present: score.py names a missing input before it starts
        (tmp_path / name).touch()
    args = score.parse_args(["--h5", str(tmp_path / "my.h5"), "--scores", str(tmp_path / "p.json"), "--json", str(out)])
    assert _status_in_process(score.main, args) == EXIT_INTERRUPTED
    (line,) = _interrupted_lines(caplog.messages)
    assert line == "interrupted: nothing was written; run the same command again"
    assert not out.exists()


@pytest.mark.parametrize(("rank", "lines"), [("0", 1), ("1", 0)], ids=["rank-0", "rank-1"])
def test_under_torchrun_only_rank_0_says_the_line(rank, lines, monkeypatch, caplog):
    """Ctrl-C reaches every rank of a torchrun job at once; one line is enough, and every rank stops with 130."""
    for name, value in (("RANK", rank), ("LOCAL_RANK", rank), ("WORLD_SIZE", "2"), ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "29500")):
        monkeypatch.setenv(name, value)

    @stops_on_interrupt(lambda args: f"kept {args}")
    def main(args) -> int:
        raise KeyboardInterrupt

    assert _status_in_process(main, "x") == EXIT_INTERRUPTED
    assert len(_interrupted_lines(caplog.messages)) == lines
