"""Output locks (utils/lock.py): one live run per output; a lock left by a dead run is taken over."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from utils.lock import OutputLocked, acquire_lock, lock_path_for

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's packages in the child too


def test_second_holder_is_refused_with_the_first_named(tmp_path):
    output = tmp_path / "split1.pt"
    first = acquire_lock(output, command="python train.py --first")
    assert lock_path_for(output).is_file()
    with pytest.raises(OutputLocked) as caught:
        acquire_lock(output, command="python train.py --second")
    message = str(caught.value)
    assert str(output) in message and "python train.py --first" in message and "pid" in message
    assert str(lock_path_for(output)) in message
    first.release()
    assert not lock_path_for(output).exists()
    acquire_lock(output).release()  # free again


def test_lock_held_by_another_process(tmp_path):
    output = tmp_path / "out.json"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from utils.lock import acquire_lock; "
         f"acquire_lock({str(output)!r}, command='other run'); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env=ENV,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputLocked, match=f"pid {holder.pid}.*other run"):
            acquire_lock(output)
    finally:
        holder.kill()
        holder.wait()
    # killed without releasing: the file stays, the lock does not
    assert lock_path_for(output).is_file()
    lock = acquire_lock(output)
    assert lock.taken_over is not None and lock.taken_over.pid == holder.pid and lock.taken_over.command == "other run"
    assert json.loads(lock_path_for(output).read_text())["pid"] != holder.pid
    lock.release()


def test_a_stale_file_from_a_dead_pid_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    output = tmp_path / "split1.pt"
    lock_path_for(output).write_text(json.dumps({"pid": int(dead.stdout), "command": "python train.py", "started": "earlier"}))
    started = time.monotonic()
    lock = acquire_lock(output)
    assert time.monotonic() - started < 5  # no waiting on a dead run
    assert lock.taken_over.pid == int(dead.stdout)
    lock.release()
