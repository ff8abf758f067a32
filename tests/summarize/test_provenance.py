"""Recognising a run's own outputs: every kind of output carries the run's fingerprint; nothing else does."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from summarize.outputs import write_picture, write_record
from summarize.provenance import FORMAT, JobState, assess, assess_source, fingerprint, mark_text, read_mark, source_fingerprints
from summarize.summary_plan import VideoOutputs
from tests.summarize.helpers import make_record
from tests.video.helpers import write_rotated_clip, write_solid_clip
from video.containers import CONTAINERS
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


def _fingerprint_before_display_matrices(source, settings) -> str:
    """The fingerprint every video had before frames were analysed as shown (the version that wrote FORMAT 1 outputs)."""
    absolute = os.path.abspath(source)
    st = os.stat(absolute)
    described = {"path": absolute, "path_bytes": os.fsencode(absolute).hex(), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    payload = {"format": FORMAT, "source": described, "settings": settings}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("ascii")).hexdigest()[:40]


def test_a_video_without_a_display_matrix_keeps_its_fingerprint(clip):
    settings = {"ratio": 0.15, "weights": None}
    prints = source_fingerprints(clip, settings)
    assert prints.current == fingerprint(clip, settings) == _fingerprint_before_display_matrices(clip, settings)
    assert prints.earlier == ()  # its finished outputs are still skipped


@pytest.mark.parametrize(("degrees", "hflip"), [(90, False), (180, False), (-90, False), (0, True)])
def test_a_turned_video_s_fingerprint_changes_so_its_old_outputs_are_redone(tmp_path, degrees, hflip):
    source = tmp_path / "phone.mp4"
    write_rotated_clip(source, degrees, hflip=hflip, frames=N_FRAMES)
    settings = {"ratio": 0.15, "weights": None}
    before = _fingerprint_before_display_matrices(source, settings)
    prints = source_fingerprints(source, settings)
    assert prints.current == fingerprint(source, settings) != before and prints.earlier == (before,)
    out = tmp_path / "out"
    out.mkdir()
    outputs = VideoOutputs(source, "phone", {"video": out / "phone.mp4", "json": out / "phone.json", "png": out / "phone.png"})
    for path in outputs.paths.values():  # all finished by the version that analysed the frames sideways
        _write_output(path, source, before)
    job = assess_source(outputs, settings, overwrite=False)
    assert job.state is JobState.TODO and job.replace and job.fingerprint == prints.current  # redone, not skipped or refused
    for path in outputs.paths.values():
        path.unlink()
        _write_output(path, source, prints.current)
    assert assess_source(outputs, settings, overwrite=False).state is JobState.DONE
    _write_output(outputs.paths["json"], source, OTHER_MARK)  # someone else's file is still refused
    assert assess_source(outputs, settings, overwrite=False).state is JobState.BLOCKED


def test_a_file_that_is_no_video_is_fingerprinted_as_upright(tmp_path):
    source = tmp_path / "broken.mp4"
    source.write_bytes(b"not a video")  # its summary reports the problem; the plan does not stop at it
    assert source_fingerprints(source, {}).earlier == ()


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
