"""The output folder: writable before any work, and a killed run's temporary files removed only when safe."""

from __future__ import annotations

import pytest

from summarize.outdir import LOCK_NAME, hold_output_folder, leftover_temporaries, prepare_output_folder
from utils.files import atomic_output


def _leftover_of(path):
    """A file named exactly as ``atomic_output`` names its temporary file for ``path`` (a kill -9 mid-write)."""
    with pytest.raises(RuntimeError), atomic_output(path) as tmp:
        name = tmp.name
        raise RuntimeError("stop before the rename")
    leftover = path.parent / name
    leftover.write_bytes(b"half a summary")
    return leftover


def test_only_the_temporary_files_of_this_run_s_outputs_are_leftovers(tmp_path):
    ours = [tmp_path / "clip.mp4", tmp_path / "clip.json", tmp_path / "we[ird] *name?.png"]
    leftovers = [_leftover_of(path) for path in ours]
    others = [_leftover_of(tmp_path / "another.mp4"), tmp_path / ".clip.mp4.partial", tmp_path / "clip.mp4.abcdefgh.partial",
              tmp_path / ".clip.mp4.abcdefgh.partial.keep", tmp_path / "clip.mp4"]
    for path in others:
        path.write_bytes(b"someone else's")
    assert sorted(leftover_temporaries(ours)) == sorted(leftovers)


def test_a_run_alone_in_the_folder_removes_leftovers_and_the_lock(tmp_path):
    outputs = [tmp_path / "clip.mp4"]
    leftover = _leftover_of(outputs[0])
    with hold_output_folder(tmp_path, outputs) as hold:
        assert hold.removed == [leftover] and not hold.kept
        assert not leftover.exists()
    assert not (tmp_path / LOCK_NAME).exists()


def test_leftovers_are_kept_while_another_run_writes_in_the_folder(tmp_path):
    outputs = [tmp_path / "clip.mp4"]
    with hold_output_folder(tmp_path, outputs) as first:
        assert first.removed == []
        live = _leftover_of(outputs[0])  # the first run is writing this one now
        with hold_output_folder(tmp_path, outputs) as second:
            assert second.removed == [] and second.kept == [live]
        assert live.exists() and (tmp_path / LOCK_NAME).exists()  # the first run still holds the folder
    assert not (tmp_path / LOCK_NAME).exists()


def test_output_folder_is_created_or_named(tmp_path):
    prepare_output_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir() and list((tmp_path / "a" / "b").iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OSError, match=f"output folder {blocker / 'sub'} cannot be written"):
        prepare_output_folder(blocker / "sub")
