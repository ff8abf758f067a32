"""The batch loop: a video that cannot be handled is reported and the batch goes on; a bug keeps its
traceback; a full disk stops the batch with a message naming the output and what was kept."""

from __future__ import annotations

import errno
from pathlib import Path

import av
import pytest

from evaluation.summary import NonFiniteScores
from summarize.provenance import JobState, VideoJob
from summarize.runner import OutputNotWritten, VideoOutcome, VideoTooShort, summarize_all, summarize_one
from summarize.summary_plan import VideoOutputs
from utils.errors import ProjectError
from video.codecs import CodecError
from video.errors import VideoDecodeError, VideoEncodeError, VideoOpenError


def _job(name: str) -> VideoJob:
    source = Path("/videos") / name
    return VideoJob(VideoOutputs(source, source.stem, {"video": Path("/out") / name}), "0" * 40, JobState.TODO, replace=False)


class _Summarizer:
    """Fails the videos named in ``errors`` with the given exception; the others succeed."""

    def __init__(self, errors: dict[str, BaseException]) -> None:
        self.errors = errors
        self.seen: list[str] = []

    def summarize(self, job: VideoJob, frames: object = None, pictures: object = None) -> VideoOutcome:
        self.seen.append(job.source.name)
        if job.source.name in self.errors:
            raise self.errors[job.source.name]
        return VideoOutcome(job.source, True, f"{job.source.name}: done")


def _disk_full(path: str) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", path)


# Problems with one file: the project's own errors, a file's OS errors, the video package's errors.
PER_VIDEO = [
    ProjectError("a problem the user can fix"), VideoTooShort("only 9 frames"), NonFiniteScores("NaN scores"),
    CodecError("no encoder"), PermissionError(errno.EACCES, "Permission denied", "/videos/b.mp4"),
    FileExistsError("output already exists"), VideoOpenError("/videos/b.mp4: cannot open"),
    VideoDecodeError("/videos/b.mp4: decoding failed at video frame 3"), VideoEncodeError("/out/b.mp4: encoding failed"),
    OutputNotWritten(Path("/out/b.png"), [Path("/out/b.mp4")], OSError(errno.EROFS, "Read-only file system")),
]
# Bugs and resource failures: they must keep their traceback, never become a one-line "FAILED".
BUGS = [TypeError("unsupported operand"), KeyError("shots"), ValueError("keep must be boolean"), IndexError("out of range"),
        RuntimeError("CUDA out of memory"), AttributeError("no attribute"), ZeroDivisionError("division by zero"), MemoryError()]


@pytest.mark.parametrize("error", PER_VIDEO, ids=lambda e: type(e).__name__)
def test_a_video_that_cannot_be_handled_does_not_stop_the_batch(error, caplog):
    summarizer = _Summarizer({"b.mp4": error})
    with caplog.at_level("INFO"):
        outcomes = list(summarize_all(summarizer, [_job("a.mp4"), _job("b.mp4"), _job("c.mp4")]))
    assert [o.ok for o in outcomes] == [True, False, True] and summarizer.seen == ["a.mp4", "b.mp4", "c.mp4"]
    assert "/videos/b.mp4" in outcomes[1].message and str(error).split(":")[-1].strip() in outcomes[1].message
    assert "FAILED" in caplog.text


@pytest.mark.parametrize("error", BUGS, ids=lambda e: type(e).__name__)
def test_a_bug_keeps_its_traceback(error):
    with pytest.raises(type(error)):
        list(summarize_all(_Summarizer({"b.mp4": error}), [_job("a.mp4"), _job("b.mp4"), _job("c.mp4")]))


def test_one_video_alone_as_a_ray_worker_does_it():
    """summarize_one: the per-video step summarize_all and summarize.library's workers share."""
    failed = summarize_one(_Summarizer({"b.mp4": VideoTooShort("only 9 frames")}), _job("b.mp4"))
    assert not failed.ok and failed.message == "/videos/b.mp4: only 9 frames" and not failed.disk_full
    full = summarize_one(_Summarizer({"b.mp4": OutputNotWritten(Path("/out/b.mp4"), [], _disk_full("/out/b.mp4"))}), _job("b.mp4"))
    assert full.disk_full
    assert summarize_one(_Summarizer({}), _job("a.mp4")).ok
    with pytest.raises(KeyError):
        summarize_one(_Summarizer({"b.mp4": KeyError("shots")}), _job("b.mp4"))


def _encoder_out_of_space() -> VideoEncodeError:
    """What video.writer raises when FFmpeg cannot write for lack of space: its error as the cause."""
    try:
        av.error.err_check(-errno.ENOSPC, "/out/.b.mp4.abcdefgh.partial")
    except av.FFmpegError as ffmpeg_error:
        try:
            raise VideoEncodeError("/out/b.mp4: encoding failed after 12 kept frames") from ffmpeg_error
        except VideoEncodeError as encode_error:
            return encode_error
    raise AssertionError("err_check raised nothing")


@pytest.mark.parametrize("make_cause", [
    lambda: _disk_full("/out/.b.png.abcdefgh.partial"),
    lambda: OSError(errno.EDQUOT, "Disk quota exceeded"),
    _encoder_out_of_space,
], ids=["no-space", "quota", "ffmpeg-no-space"])
def test_a_full_disk_names_the_output_and_what_was_kept_and_stops_the_batch(make_cause):
    cause = make_cause()
    failure = OutputNotWritten(Path("/out/b.png"), [Path("/out/b.mp4"), Path("/out/b.json")], cause)
    assert failure.disk_full
    message = str(failure)
    assert message.startswith("/out/b.png could not be written (")
    assert ("No space left on device" in message) or ("Disk quota exceeded" in message)
    assert "kept: /out/b.mp4, /out/b.json" in message and "nothing was left under that name" in message
    summarizer = _Summarizer({"b.mp4": failure})
    outcomes = list(summarize_all(summarizer, [_job("a.mp4"), _job("b.mp4"), _job("c.mp4")]))
    assert summarizer.seen == ["a.mp4", "b.mp4"] and outcomes[-1].disk_full and not outcomes[-1].ok


def test_an_output_not_written_on_a_disk_with_room_does_not_stop_the_batch():
    failure = OutputNotWritten(Path("/out/b.mp4"), [], PermissionError(errno.EACCES, "Permission denied"))
    assert not failure.disk_full and "no other output of this video was written" in str(failure)
    summarizer = _Summarizer({"b.mp4": failure})
    assert [o.ok for o in summarize_all(summarizer, [_job("a.mp4"), _job("b.mp4"), _job("c.mp4")])] == [True, False, True]
