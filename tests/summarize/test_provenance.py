"""Recognising a run's own outputs: every kind of output carries the run's fingerprint; nothing else does."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from summarize.outputs import write_picture, write_record
from summarize.plan import VideoOutputs
from summarize.provenance import JobState, assess, fingerprint, mark_text, read_mark
from tests.summarize.helpers import make_record
from tests.video.helpers import write_solid_clip
from video.codecs import CONTAINERS
from video.writer import write_summary

MARK = "ab12" * 10
OTHER_MARK = "cd34" * 10
N_FRAMES = 20
OUTPUT_SUFFIXES = [".json", ".png", *CONTAINERS]  # every kind of file a run writes


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("provenance") / "clip.mp4"
    write_solid_clip(path, (200, 40, 40), N_FRAMES)
    return path


def _keep() -> np.ndarray:
    keep = np.zeros(N_FRAMES, bool)
    keep[5:10] = True
    return keep


def _write_output(path, clip, mark: str | None) -> None:
    """What a run writes under ``path`` (``mark`` None: the same kind of file without a mark)."""
    if path.suffix == ".json":
        write_record(make_record(clip, N_FRAMES, fingerprint=mark or ""), path)
    elif path.suffix == ".png":
        if mark is None:
            Image.new("RGB", (8, 8)).save(path)
        else:
            write_picture(make_record(clip, N_FRAMES, fingerprint=mark), path)
    else:
        write_summary(clip, _keep(), path, progress=False, metadata={"comment": mark_text(mark)} if mark else None)


@pytest.mark.parametrize("suffix", OUTPUT_SUFFIXES)
def test_every_kind_of_output_carries_the_run_s_mark(clip, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    _write_output(path, clip, MARK)
    assert read_mark(path) == MARK


@pytest.mark.parametrize("foreign", ["unmarked", "other bytes", "empty", "folder"])
@pytest.mark.parametrize("suffix", OUTPUT_SUFFIXES)
def test_a_file_the_run_did_not_make_carries_no_mark(clip, tmp_path, suffix, foreign):
    path = tmp_path / f"out{suffix}"
    if foreign == "unmarked":
        _write_output(path, clip, None)
    elif foreign == "other bytes":
        path.write_bytes(f"fingerprint {MARK} in a file that is not ours".encode())
    elif foreign == "empty":
        path.write_bytes(b"")
    else:
        path.mkdir()
    assert read_mark(path) is None


def test_fingerprint_follows_the_source_file(clip, tmp_path):
    source = tmp_path / "clip.mp4"
    shutil.copy(clip, source)
    settings = {"ratio": 0.15, "weights": None}
    first = fingerprint(source, settings)
    assert first == fingerprint(source, settings) and len(first) == 40
    assert fingerprint(source, {**settings, "ratio": 0.3}) != first
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # re-encoded or edited in place
    touched = fingerprint(source, settings)
    assert touched != first
    with source.open("ab") as handle:
        handle.write(b"\0")
    assert fingerprint(source, settings) != touched
    moved = tmp_path / "elsewhere.mp4"
    shutil.copy2(source, moved)
    assert fingerprint(moved, settings) != fingerprint(source, settings)


@pytest.fixture
def outputs(clip, tmp_path) -> VideoOutputs:
    out = tmp_path / "out"
    out.mkdir()
    return VideoOutputs(clip, "clip", {"video": out / "clip.mp4", "json": out / "clip.json", "png": out / "clip.png"})


def test_nothing_there_is_to_do(outputs):
    assert assess(outputs, MARK, overwrite=False).state is JobState.TODO
    assert assess(outputs, MARK, overwrite=True).replace


def test_all_outputs_of_this_run_are_done(outputs, clip):
    for path in outputs.paths.values():
        _write_output(path, clip, MARK)
    job = assess(outputs, MARK, overwrite=False)
    assert job.state is JobState.DONE and job.fingerprint == MARK
    assert assess(outputs, MARK, overwrite=True).state is JobState.DONE  # same result: not redone


@pytest.mark.parametrize("missing", ["video", "json", "png"])
def test_a_run_s_unfinished_outputs_are_redone_and_may_be_replaced(outputs, clip, missing):
    for kind, path in outputs.paths.items():
        if kind != missing:
            _write_output(path, clip, MARK)
    job = assess(outputs, MARK, overwrite=False)
    assert job.state is JobState.TODO and job.replace


@pytest.mark.parametrize("kind", ["video", "json", "png"])
@pytest.mark.parametrize("intruder", ["other settings", "not ours"])
def test_any_other_file_under_an_output_s_name_is_kept_unless_overwrite(outputs, clip, kind, intruder):
    for other, path in outputs.paths.items():
        _write_output(path, clip, MARK if other != kind else OTHER_MARK if intruder == "other settings" else None)
    job = assess(outputs, MARK, overwrite=False)
    assert job.state is JobState.BLOCKED and not job.replace
    assert str(outputs.paths[kind]) in job.reason and "--overwrite" in job.reason
    assert all(str(path) not in job.reason for other, path in outputs.paths.items() if other != kind)
    forced = assess(outputs, MARK, overwrite=True)
    assert forced.state is JobState.TODO and forced.replace
