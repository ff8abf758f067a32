"""utils/exit.py: leaving without the interpreter's teardown keeps the exit code, what was printed
and logged, and the exit handlers; with another thread still running it waits as sys.exit does."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(ROOT), "MARK": str(tmp_path / "mark")})


@pytest.mark.parametrize("code, expected", [(3, 3), (0, 0), (None, 0)])
def test_the_code_the_output_and_the_exit_handlers_survive(tmp_path, code, expected):
    result = run(f"""
        import atexit, logging, os, sys
        from utils.exit import exit_now
        atexit.register(lambda: open(os.environ["MARK"], "w").write("handler ran"))
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        logging.getLogger("x").info("logged line")
        sys.stdout.write("printed without a newline")  # block-buffered into a pipe: lost unless flushed
        exit_now({code})
    """, tmp_path)
    assert result.returncode == expected, result.stderr
    assert result.stdout == "printed without a newline"
    assert "logged line" in result.stderr
    assert (tmp_path / "mark").read_text() == "handler ran"


def test_a_running_thread_is_waited_for(tmp_path):
    result = run("""
        import os, threading, time
        from utils.exit import exit_now
        def late():
            time.sleep(0.5)
            open(os.environ["MARK"], "w").write("thread finished")
        threading.Thread(target=late).start()
        exit_now(4)
    """, tmp_path)
    assert result.returncode == 4, result.stderr
    assert (tmp_path / "mark").read_text() == "thread finished"


TEARDOWN_WITNESS = """
    import os, sys
    class Witness:  # its finaliser runs in the interpreter's teardown, and only there
        def __del__(self, open=open, path=os.environ["MARK"]):  # kept: the teardown clears the modules
            with open(path, "w") as mark:
                mark.write("teardown ran")
    witness = Witness()
"""


def test_the_teardown_is_skipped_even_beside_a_daemon_thread(tmp_path):
    result = run(TEARDOWN_WITNESS + """
    import threading, time
    from utils.exit import exit_now
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()  # tqdm's monitor is one
    exit_now(5)
    """, tmp_path)
    assert result.returncode == 5, result.stderr
    assert not (tmp_path / "mark").exists()
    plain = run(TEARDOWN_WITNESS + "    sys.exit(5)\n", tmp_path)  # the witness does see a normal exit
    assert plain.returncode == 5 and (tmp_path / "mark").read_text() == "teardown ran"
