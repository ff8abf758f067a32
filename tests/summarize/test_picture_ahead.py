"""The picture helper draws what this process would draw, and a helper that is gone costs only time."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from summarize import picture_ahead
from summarize.outputs import draw_picture
from summarize.picture_ahead import PictureHelper, PictureHelperGone, draw, start_picture_helper
from tests.no_processes import refusing_contexts
from tests.summarize.helpers import make_record
from tests.video.helpers import write_solid_clip
from video.errors import VideoOpenError

N_FRAMES = 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pictures") / "clip.mp4"
    write_solid_clip(path, (200, 40, 90), N_FRAMES)
    return path


@pytest.fixture
def helper():
    with PictureHelper() as pictures:
        yield pictures


def test_the_helpers_picture_is_the_one_drawn_here(clip, helper):
    record = make_record(clip, N_FRAMES)
    number = helper.ask(record, "backbone: a note")
    assert helper.picture(number) == draw_picture(record, "backbone: a note")


def test_an_answer_nobody_took_is_read_before_the_next_request(clip, helper):
    first, second = make_record(clip, N_FRAMES, fingerprint="1" * 40), make_record(clip, N_FRAMES, fingerprint="2" * 40)
    helper.ask(first)  # e.g. the summary video could not be written: the picture was never taken
    number = helper.ask(second)  # a helper still sending the first answer would not read this one
    assert helper._untaken == number
    assert helper.picture(number) == draw_picture(second)
    assert helper._untaken is None and not helper._connection.poll(0)


def test_the_pictures_own_error_comes_through(tmp_path, helper):
    record = make_record(tmp_path / "gone.mp4", N_FRAMES)
    with pytest.raises(VideoOpenError, match="gone.mp4"):
        helper.picture(helper.ask(record))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_helper_is_said_and_the_picture_is_drawn_here(clip, helper, caplog):
    record = make_record(clip, N_FRAMES)
    helper.picture(helper.ask(record))  # started and answering
    number = helper.ask(record)
    os.kill(helper._process.pid, signal.SIGKILL)  # while it draws (0.1 s)
    with pytest.raises(PictureHelperGone, match="exit code -9"):
        helper.picture(number)
    assert helper.ask(record) is None  # nothing more is asked of it
    assert draw(helper, number, record, None) == draw_picture(record)
    assert "stopped (exit code -9); drawing the picture in this process" in caplog.text


def test_after_close_pictures_are_drawn_here(clip):
    helper = PictureHelper()
    helper.close()
    helper.close()  # twice is safe
    assert not helper._process.is_alive()
    record = make_record(clip, N_FRAMES)
    number = helper.ask(record)
    assert number is None
    assert draw(helper, number, record, None) == draw_picture(record)


def test_a_helper_that_cannot_start_means_drawing_here(monkeypatch, caplog):
    no_processes, pipe_ends = refusing_contexts()
    monkeypatch.setattr(picture_ahead.multiprocessing, "get_context", no_processes)
    with caplog.at_level(logging.INFO, logger="summarize.picture_ahead"):
        assert start_picture_helper() is None
    assert "no helper process" in caplog.text and "Resource temporarily unavailable" in caplog.text
    assert pipe_ends and all(end.closed for end in pipe_ends)


def test_the_helper_imports_no_torch():
    # it starts before the run imports torch, and would only slow the run if it imported torch too
    code = "import sys, summarize.picture_ahead; print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert result.stdout.strip() == "[]"
