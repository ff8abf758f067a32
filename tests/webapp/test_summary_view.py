"""'Summarise a video' through gradio's client: the command's outputs byte for byte, bad input as a
message, Cancel, and the folders a typed path may name."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from gradio_client import handle_file

from webapp.access import PathRefused, typed_path
from webapp.settings import AppSettings
from webapp.summary_job import ROOT, BackboneChoice

CACHED = BackboneChoice.CACHED.label


def summarise(client, video=None, path="", weights="", upload_weights=None, kind="percent of the video", length=15):
    return client.predict(handle_file(str(video)) if video else None, str(path), str(weights),
                          handle_file(str(upload_weights)) if upload_weights else None, CACHED, kind, length, "fast", "cpu",
                          api_name="/summarise")


def test_the_page_writes_what_generate_video_writes(client, clip, weights, tmp_path, stand_in_files):
    job = client.submit(None, str(clip), str(weights), None, CACHED, "seconds at most", 1.0, "fast", "cpu", api_name="/summarise")
    status, video, picture, downloads, shots, original, said = job.result()
    assert len(job.outputs()) == 1  # answered once (progress aside): a client fetches each file once, not per answer
    assert status.startswith("**done**"), status
    assert said.startswith("python generate_video.py ") and "--seconds 1.0" in said and "--out summary" in said
    assert [Path(p).name for p in downloads] == ["clip.mp4", "clip.json", "clip.png"]
    assert len(shots["data"]) == len(json.loads(Path(downloads[1]).read_text())["shots"])
    assert original is not None  # the original plays in the page, from a link in the session's folder
    # the command the page shows, typed in a folder of one's own, writes the same bytes
    argv = shlex.split(said)
    run = subprocess.run([sys.executable, str(ROOT / "generate_video.py"), *argv[2:], "--quiet"], cwd=tmp_path,
                         env={**os.environ, "TORCH_HOME": str(stand_in_files)}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for page_file in downloads:
        assert Path(page_file).read_bytes() == (tmp_path / "summary" / Path(page_file).name).read_bytes(), page_file
    with av.open(str(video)) as container:  # the summary keeps its sound
        assert container.streams.video and container.streams.audio


def test_bad_input_is_a_message_and_the_page_stays_usable(client, clip, weights, tmp_path, allowed):
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    status = summarise(client, video=not_video, weights=weights)[0]
    assert status.startswith("**error:**") and "notes.mp4" in status and "Traceback" not in status, status

    audio_only = tmp_path / "tone.m4a"
    with av.open(str(audio_only), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 16000), dtype=np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    status = summarise(client, video=audio_only, weights=weights)[0]
    assert status.startswith("**error:**") and "tone.m4a" in status, status

    other = tmp_path / "other.pt"
    torch.save({"encoder.weight": torch.zeros(3, 3)}, other)  # not CSTA's keys
    status = summarise(client, path=clip, upload_weights=other)[0]
    assert status.startswith("**error:**") and "other.pt" in status, status

    status = summarise(client, path=clip, weights=weights, length=150)[0]
    assert "at most 100%" in status

    status = summarise(client, path="/etc/hostname", weights=weights)[0]  # outside --allow
    assert status.startswith("**error:**") and "outside the folders" in status

    assert client.predict(api_name="/cancel") == "nothing to cancel"  # still answering


def test_one_summary_at_a_time_the_next_waits_in_the_queue_and_cancel_stops_it(client, clip, weights, page):
    from gradio_client import Client
    from gradio_client.utils import Status

    options = (None, str(clip), str(weights), None, CACHED, "percent of the video", 15, "fast", "cpu")
    before = set(page[1].work_root.glob("session-*/summary-*"))
    job = client.submit(*options, api_name="/summarise")
    deadline = time.monotonic() + 30
    while not set(page[1].work_root.glob("session-*/summary-*")) - before:  # the command has started
        assert time.monotonic() < deadline
        time.sleep(0.05)
    other = Client(page[0], verbose=False)  # a second visitor
    waiting = other.submit(*options, api_name="/summarise")
    while (status := waiting.status()).code is not Status.IN_QUEUE:
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    assert status.rank == 0 and status.queue_size >= 1  # next in line, told so
    assert other.predict(api_name="/cancel") == "nothing to cancel"  # its own summary has not started
    waiting.cancel()  # it leaves the queue (what the browser does on Cancel: gradio's cancels=)
    assert client.predict(api_name="/cancel").startswith("**cancelled**")
    job.result()
    (folder,) = set(page[1].work_root.glob("session-*/summary-*")) - before
    assert not list(folder.glob("summary/*"))  # nothing written, nothing half-written left
    assert client.predict(api_name="/cancel") == "nothing to cancel"


def test_typed_paths_are_confined(tmp_path):
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir(), outside.mkdir()
    (inside / "a.mp4").write_bytes(b"x"), (outside / "b.mp4").write_bytes(b"x")
    (inside / "link.mp4").symlink_to(outside / "b.mp4")
    local = AppSettings()
    assert typed_path(str(outside / "b.mp4"), local, "video") == (outside / "b.mp4").resolve()
    served = AppSettings(host="0.0.0.0", allow=(inside.resolve(),))
    assert typed_path(str(inside / "a.mp4"), served, "video") == (inside / "a.mp4").resolve()
    for refused in (outside / "b.mp4", inside / "link.mp4", inside / ".." / "out" / "b.mp4"):
        with pytest.raises(PathRefused, match="outside the folders"):
            typed_path(str(refused), served, "video")
    with pytest.raises(PathRefused, match="typed paths are off"):
        typed_path(str(inside / "a.mp4"), AppSettings(host="0.0.0.0"), "video")


def test_without_gradio_the_script_says_what_to_install(monkeypatch, capsys):
    import importlib.util

    import app

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gradio" else real(name, *a))
    assert app.main(app.parse_args([])) == 2
    assert "pip install -e '.[app]'" in capsys.readouterr().err


def test_a_job_follows_the_commands_bars_though_its_stderr_is_a_pipe(clip, weights, tmp_path, monkeypatch):
    """generate_video.py keeps its bars quiet when stderr is not a terminal; the page asks for them (CSTA_PROGRESS_BARS)."""
    import webapp.summary_job as summary_job  # noqa: PLC0415
    from webapp.progress import Stage  # noqa: PLC0415

    seen = []
    original = summary_job.read_progress

    def recorded(line, current):
        progress = original(line, current)
        seen.append(progress.stage)
        return progress

    monkeypatch.setattr(summary_job, "read_progress", recorded)
    job = summary_job.SummaryJob(clip, summary_job.SummaryOptions(weights=weights, device="cpu"), tmp_path)
    while not job.wait(0.1):
        pass
    state, result, message = job.finish()
    assert state is summary_job.JobState.DONE, message
    assert {Stage.FEATURES, Stage.SHOTS, Stage.WRITING} <= set(seen), seen


def test_the_weights_offered_are_only_those_the_page_may_read(tmp_path, monkeypatch):
    from webapp import choices  # noqa: PLC0415

    demo = tmp_path / "demo_output" / "weights" / "SumMe" / "split1.pt"
    demo.parent.mkdir(parents=True)
    demo.write_bytes(b"weights")
    monkeypatch.setattr(choices, "DEMO_WEIGHTS", demo)
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    confined = AppSettings(device="cpu", work_root=tmp_path / "work", allow=(allowed.resolve(),), max_upload="5mb")
    assert str(demo) not in choices.weights_choices(confined)  # offered, it would be refused when chosen
    opened = AppSettings(device="cpu", work_root=tmp_path / "work", allow=(tmp_path.resolve(),), max_upload="5mb")
    assert choices.weights_choices(opened)[0] == str(demo)


def test_gradios_queue_is_told_to_poll_less_often():
    """The page sets two attributes of gradio's queue (no option exists): this fails when a gradio renames them."""
    import gradio as gr  # noqa: PLC0415

    from webapp.serve import PROGRESS_LOOK_SECONDS, QUEUE_LOOK_SECONDS, _calm_queue  # noqa: PLC0415

    with gr.Blocks() as blocks:
        gr.Markdown("x")
    blocks.queue()
    _calm_queue(blocks)
    assert blocks._queue.sleep_when_free == QUEUE_LOOK_SECONDS
    assert blocks._queue.progress_update_sleep_when_free == PROGRESS_LOOK_SECONDS
