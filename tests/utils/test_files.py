"""Atomic outputs (utils/files.py): a refused write names the output, keeps the earlier file and
leaves no temporary file, whatever wrote it (JSON, torch.save, a folder that cannot exist)."""

import builtins
import errno
import hashlib
import json
from pathlib import Path

import pytest
import torch

from utils import files
from utils.errors import ProjectError
from utils.files import OutputError, atomic_output, atomic_stream, sha256_of, write_json_atomic

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def test_writes_under_the_final_name_with_the_usual_mode(tmp_path):
    write_json_atomic(tmp_path / "sub" / "out.json", {"a": 1})
    assert json.loads((tmp_path / "sub" / "out.json").read_text()) == {"a": 1}
    assert (tmp_path / "sub" / "out.json").stat().st_mode & 0o777 != 0o600
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["out.json"]


def _full_disk_for_text(monkeypatch):
    real = Path.write_text

    def write_text(self, *args, **kwargs):
        real(self, "half")  # part of it reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", write_text)


def _full_disk_for_streams(monkeypatch, after_bytes=1000):
    """open() in utils.files gives streams that refuse writes past ``after_bytes`` with ENOSPC, as a full disk does."""

    class FullDiskStream:
        def __init__(self, stream):
            self._stream, self._written = stream, 0

        def write(self, data):
            if self._written + len(data) > after_bytes:
                raise OSError(errno.ENOSPC, "No space left on device")
            self._written += len(data)
            return self._stream.write(data)

        def __getattr__(self, name):
            return getattr(self._stream, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._stream.close()

    monkeypatch.setattr(files, "open", lambda *a, **k: FullDiskStream(builtins.open(*a, **k)), raising=False)


WRITERS = {
    "json": (_full_disk_for_text, lambda path: write_json_atomic(path, {"new": True})),
    "torch.save": (_full_disk_for_streams, lambda path: _save_tensors(path)),
}


def _save_tensors(path):
    with atomic_stream(path) as stream:
        torch.save({"weight": torch.zeros(10_000)}, stream)


@pytest.mark.parametrize("kind", WRITERS)
def test_full_disk_names_the_output_and_keeps_the_earlier_file(kind, tmp_path, monkeypatch):
    path = tmp_path / "out.bin"
    path.write_bytes(b"earlier")
    full_disk, write = WRITERS[kind]
    full_disk(monkeypatch)
    with pytest.raises(OutputError) as caught:
        write(path)
    error = caught.value
    assert str(path) in str(error) and "No space left on device" in str(error) and "earlier file there is unchanged" in str(error)
    assert isinstance(error, OSError) and isinstance(error, ProjectError)  # old handlers of either still catch it
    assert error.errno == errno.ENOSPC and error.path == path
    assert path.read_bytes() == b"earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]  # no temporary file left


def test_torch_save_to_a_stream_reaches_the_disk_intact(tmp_path):
    _save_tensors(tmp_path / "w.pt")
    assert torch.load(tmp_path / "w.pt", weights_only=True)["weight"].shape == (10_000,)


def test_refused_rename_is_named(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OutputError, match=r"could not write .*out.json: Read-only file system"):
        write_json_atomic(tmp_path / "out.json", {})
    assert list(tmp_path.iterdir()) == []


def test_folder_under_a_regular_file_is_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match=r"could not write .*file/sub/out.json: Not a directory"):
        write_json_atomic(tmp_path / "file" / "sub" / "out.json", {})


def test_errors_of_the_block_itself_pass_through(tmp_path):
    """An OSError raised by the code in the block (no errno: no system call failed) keeps its type."""
    with pytest.raises(FileExistsError, match="appeared"), atomic_output(tmp_path / "out") as tmp:
        tmp.write_text("x")
        raise FileExistsError("out appeared while writing")
    with pytest.raises(KeyError), atomic_output(tmp_path / "out") as tmp:
        raise KeyError("a bug")
    assert list(tmp_path.iterdir()) == []


def test_stream_errors_without_a_refused_write_pass_through(tmp_path):
    with pytest.raises(RuntimeError, match="not about the disk"), atomic_stream(tmp_path / "out") as stream:
        stream.write(b"x")
        raise RuntimeError("not about the disk")
    assert list(tmp_path.iterdir()) == []


def test_checksum_of_a_file_larger_than_one_read(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc" * 1_000_000)
    assert sha256_of(path) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()
