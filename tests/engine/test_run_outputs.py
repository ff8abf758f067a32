"""A run's outputs (engine/run_outputs.py): checked before the work, locked during it, kept when refused after it."""

import os
from pathlib import Path

import pytest

from engine.run_outputs import Fallback, OutputConflict, OutputExists, claim_outputs, refuse_collisions, refuse_existing, where_outputs_go
from tests.disk import disk_full
from utils.files import OutputError, atomic_output, write_json_atomic
from utils.lock import OutputLocked, lock_path_for


@pytest.fixture
def full_disk(monkeypatch):
    """full_disk(folder): writing data under ``folder`` fails with ENOSPC."""
    return lambda folder: disk_full(monkeypatch, folder)


def test_claim_creates_the_folders_and_locks_until_released(tmp_path):
    weights = tmp_path / "w" / "SumMe" / "split1.pt"
    with claim_outputs([weights, weights.with_suffix(".json")], lock=[weights]):
        assert weights.parent.is_dir() and lock_path_for(weights).is_file()
        assert sorted(p.name for p in weights.parent.iterdir()) == ["split1.pt.lock"]  # the write test left nothing
        with pytest.raises(OutputLocked, match="split1.pt is being written by another run"):
            claim_outputs([weights], lock=[weights])
    assert not (tmp_path / "w").exists()  # nothing was written: the folders it made are gone


def test_folders_that_received_files_stay(tmp_path):
    out = tmp_path / "a" / "b" / "out.json"
    with claim_outputs([out]):
        write_json_atomic(out, {})
    assert out.is_file()


def _unwritable(case, tmp):
    """An output path the system will not let us write, and the path the refusal must name."""
    if case == "under a regular file":
        (tmp / "file").write_text("x")
        return tmp / "file" / "sub" / "out.json", tmp / "file" / "sub"
    (tmp / "out.json").mkdir()  # a folder where the file should go
    return tmp / "out.json", tmp / "out.json"


@pytest.mark.parametrize("case", ["under a regular file", "an existing folder"])
def test_unwritable_output_is_refused_naming_it(case, tmp_path):
    output, named = _unwritable(case, tmp_path)
    with pytest.raises((OutputError, OutputConflict), match=str(named)):
        claim_outputs([tmp_path / "fine" / "ok.json", output])
    assert not (tmp_path / "fine").exists()  # a refused claim leaves no folder behind


def test_full_disk_is_refused_before_the_work(tmp_path, full_disk):
    full_disk(tmp_path / "full")
    (tmp_path / "full").mkdir()
    with pytest.raises(OutputError, match=r"cannot write in .*full: No space left on device"):
        claim_outputs([tmp_path / "full" / "split1.pt"])
    assert list((tmp_path / "full").iterdir()) == []


def test_an_output_is_never_an_input(tmp_path):
    data = tmp_path / "data.h5"
    data.write_bytes(b"precious")
    (tmp_path / "link.h5").symlink_to(data)
    os.link(data, tmp_path / "hard.h5")
    for output in (data, tmp_path / "link.h5", tmp_path / "hard.h5", tmp_path / "." / "data.h5"):
        with pytest.raises(OutputConflict, match=f"the output {output} is the input {data}"):
            claim_outputs([output], inputs=[data])
    assert data.read_bytes() == b"precious"


def test_two_outputs_are_never_the_same_file(tmp_path):
    with pytest.raises(OutputConflict, match="two outputs of this run are the same file"):
        claim_outputs([tmp_path / "r" / "report.json", tmp_path / "r" / ".." / "r" / "report.json"])


def _atomic_bytes(path):
    """Writes through os.write, which the full_disk fixture can refuse."""
    with atomic_output(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY)
        try:
            os.write(fd, b"weights")
        finally:
            os.close(fd)


def test_fallback_keeps_refused_files_together_elsewhere(tmp_path, full_disk):
    wanted = tmp_path / "w" / "SumMe" / "split1.pt"
    wanted.parent.mkdir(parents=True)
    fallback = Fallback(roots=[tmp_path / "spare"])
    (tmp_path / "spare").mkdir()
    full_disk(wanted.parent)
    kept = fallback.write(wanted, _atomic_bytes)
    record = fallback.write(wanted.with_suffix(".json"), lambda path: write_json_atomic(path, {"record": 1}))
    assert kept.parent == record.parent and kept.name == "split1.pt" and record.name == "split1.json"
    assert str(kept).startswith(str(tmp_path / "spare")) and str(kept).endswith(str(wanted))  # the asked path below the fallback folder
    assert kept.read_bytes() == b"weights"
    assert [k.wanted for k in fallback.kept] == [wanted, wanted.with_suffix(".json")]
    assert "No space left on device" in fallback.summary() and str(kept) in fallback.summary()
    assert list(wanted.parent.iterdir()) == []


def test_fallback_says_everything_it_tried(tmp_path, full_disk):
    full_disk(tmp_path)
    fallback = Fallback(roots=[tmp_path / "spare"])
    with pytest.raises(OutputError, match=r"could not write .*out.bin, nor keep it elsewhere; tried: .*No space left on device.*spare"):
        fallback.write(tmp_path / "out.bin", _atomic_bytes)


def test_a_lock_left_by_a_dead_run_is_taken_over_with_a_warning(tmp_path, caplog):
    import json
    import subprocess
    import sys

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True).stdout)
    weights = tmp_path / "split1.pt"
    lock_path_for(weights).write_text(json.dumps({"pid": dead, "command": "python train.py --killed"}))
    with claim_outputs([weights], lock=[weights]):
        pass
    assert f"{lock_path_for(weights)} was left by pid {dead}" in caplog.text and "--killed" in caplog.text
    assert "no longer running; taking it over" in caplog.text


def test_locked_paths_must_be_outputs(tmp_path):
    with pytest.raises(ValueError, match="locked path"):
        claim_outputs([tmp_path / "a.json"], lock=[tmp_path / "b.json"])


def test_an_existing_output_is_refused_unless_overwrite(tmp_path):
    """The one overwrite rule: refused before any work, naming the file and what replaces it."""
    kept, new = tmp_path / "results.json", tmp_path / "new.json"
    kept.write_text("earlier")
    with pytest.raises(OutputExists, match=f"{kept} already exists; --overwrite replaces it"):
        claim_outputs([kept, new], fresh=[kept, new])
    assert kept.read_text() == "earlier"
    with claim_outputs([kept, new], fresh=[kept, new], overwrite=True):
        pass
    with claim_outputs([kept], fresh=[]):  # outputs with a rule of their own (train.py's weights) are not concerned
        pass
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputExists, match="already exist; --overwrite replaces them"):
        refuse_existing([kept, tmp_path / "dangling"], overwrite=False)
    refuse_existing([new], overwrite=False)


def test_an_input_is_refused_even_with_overwrite(tmp_path):
    data = tmp_path / "data.h5"
    data.write_bytes(b"precious")
    with pytest.raises(OutputConflict, match="is the input"):
        claim_outputs([data], inputs=[data], fresh=[data], overwrite=True)
    assert data.read_bytes() == b"precious"


def test_every_clash_is_named_with_its_note(tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    with pytest.raises(OutputConflict) as caught:
        refuse_collisions([a, b, tmp_path / "c.json"], [a, b], notes={a: "summary of x.mp4"})
    message = str(caught.value)
    assert f"the output {a} (summary of x.mp4) is the input {a}" in message and f"the output {b} is the input {b}" in message
    assert "c.json" not in message


def test_an_output_folder_that_is_an_input_folder_is_refused(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "in")
    for out in (tmp_path / "in", tmp_path / "link", tmp_path / "in" / "."):
        with pytest.raises(OutputConflict, match="is also an input folder"):
            refuse_collisions([out / "x.json"], [], output_folder=out, input_folders=[tmp_path / "in"])
    refuse_collisions([tmp_path / "in" / "sub" / "x.json"], [], output_folder=tmp_path / "in" / "sub", input_folders=[tmp_path / "in"])


def test_where_outputs_go_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert where_outputs_go("weights", Path("weights") / "SumMe") == f"writing weights to {tmp_path / 'weights' / 'SumMe'}"
    assert where_outputs_go("tables", Path("a"), tmp_path / "a", Path("b")) == f"writing tables to {tmp_path / 'a'}, {tmp_path / 'b'}"
