"""write_summary: the right frames and sound, any container, and never a partial or clobbered file."""

from __future__ import annotations

import errno

import av
import numpy as np
import pytest

import video.writer as writer_module
from tests.video.conftest import FPS, SIZE
from tests.video.helpers import VFR_TONE_HZ, decoded_audio, dominant_pitch, frame_means, write_variable_rate_clip
from video.reader import count_frames, frame_times, probe
from video.synthetic import write_demo_video
from video.timing import FrameClock
from video.writer import write_summary


def _keep(n: int, *runs: tuple[int, int]) -> np.ndarray:
    keep = np.zeros(n, bool)
    for a, b in runs:
        keep[a:b] = True
    return keep


@pytest.fixture
def keep(demo_clip) -> np.ndarray:
    """Parts of every scene, one run crossing the first cut."""
    return _keep(demo_clip.n_frames, (5, 30), (45, 50), (75, 88))


def _codecs(path) -> tuple[str, str | None]:
    with av.open(str(path)) as container:
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return container.streams.video[0].codec_context.name, audio


def test_summary_holds_exactly_the_kept_frames(demo_clip, keep, tmp_path):
    out = tmp_path / "summary.mp4"
    result = write_summary(demo_clip.path, keep, out, progress=False)
    assert result.frames_written == keep.sum() == count_frames(out)
    assert result.video_seconds == pytest.approx(keep.sum() / FPS)
    info = probe(out)
    assert info.fps == pytest.approx(FPS) and (info.width, info.height) == SIZE
    assert np.abs(frame_means(out) - frame_means(demo_clip.path)[keep]).max() < 12  # scenes differ by > 30


def test_audio_matches_the_video_and_follows_the_cuts(demo_clip, keep, tmp_path):
    out = tmp_path / "summary.mp4"
    result = write_summary(demo_clip.path, keep, out, progress=False)
    samples, rate = decoded_audio(out)
    assert abs(result.audio_seconds - result.video_seconds) < 1 / FPS
    assert abs(len(samples) / rate - result.video_seconds) < 1 / FPS
    source, _ = decoded_audio(demo_clip.path)
    # summary frames 0-18 are source frames 5-23 (scene 1), 19-24 are 24-29 (scene 2), 30-42 are 75-87 (scene 3)
    for (a, b), (sa, sb) in [((0, 19), (5, 24)), ((30, 43), (75, 88))]:
        here = dominant_pitch(samples[round(a / FPS * rate) + 200: round(b / FPS * rate) - 200], rate)
        there = dominant_pitch(source[round(sa / FPS * rate) + 200: round(sb / FPS * rate) - 200], rate)
        assert here == pytest.approx(there, abs=15)


def test_no_audio_stream_when_the_source_has_none(silent_clip, tmp_path):
    out = tmp_path / "silent.mp4"
    result = write_summary(silent_clip.path, _keep(silent_clip.n_frames, (0, 10)), out, progress=False)
    assert result.audio_seconds is None and not probe(out).has_audio and count_frames(out) == 10


@pytest.mark.parametrize(("suffix", "codecs"), [(".mkv", ("h264", "aac")), (".webm", ("vp9", "opus")),
                                                (".mov", ("h264", "aac")), (".avi", ("mpeg4", "mp2"))],
                         ids=["mkv", "webm", "mov", "avi"])
def test_containers(demo_clip, keep, tmp_path, suffix, codecs):
    out = tmp_path / f"summary{suffix}"
    result = write_summary(demo_clip.path, keep, out, progress=False)
    assert count_frames(out) == keep.sum() and _codecs(out) == codecs
    samples, rate = decoded_audio(out)
    assert abs(len(samples) / rate - result.video_seconds) < 1 / FPS


def test_codec_override(demo_clip, keep, tmp_path):
    out = tmp_path / "override.mkv"
    write_summary(demo_clip.path, keep, out, video_codec="mpeg4", audio_codec="libopus", progress=False)
    assert _codecs(out) == ("mpeg4", "opus") and count_frames(out) == keep.sum()


def test_unknown_codec_or_suffix(demo_clip, keep, tmp_path):
    with pytest.raises(ValueError, match="no video encoder named 'nosuch'"):
        write_summary(demo_clip.path, keep, tmp_path / "a.mp4", video_codec="nosuch", progress=False)
    with pytest.raises(ValueError, match="is a video encoder, not a audio"):
        write_summary(demo_clip.path, keep, tmp_path / "a.mp4", audio_codec="libx264", progress=False)
    with pytest.raises(ValueError, match="unsupported output suffix '.gif'"):
        write_summary(demo_clip.path, keep, tmp_path / "a.gif", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_kept_unless_overwrite(demo_clip, keep, tmp_path):
    out = tmp_path / "summary.mp4"
    out.write_bytes(b"earlier result")
    with pytest.raises(FileExistsError, match="summary.mp4"):
        write_summary(demo_clip.path, keep, out, progress=False)
    assert out.read_bytes() == b"earlier result"
    write_summary(demo_clip.path, keep, out, progress=False, overwrite=True)
    assert count_frames(out) == keep.sum()


@pytest.mark.parametrize("error", [RuntimeError("encoder failed (test)"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_failure_part_way_leaves_nothing(demo_clip, keep, tmp_path, monkeypatch, error):
    calls = []
    real_encode = writer_module._encode

    def failing_encode(stream, frame):
        calls.append(frame)
        if len(calls) == 20:
            raise error
        return real_encode(stream, frame)

    monkeypatch.setattr(writer_module, "_encode", failing_encode)
    with pytest.raises(type(error)):
        write_summary(demo_clip.path, keep, tmp_path / "summary.mp4", progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("delta", [-3, 2], ids=["short", "long"])
def test_keep_of_the_wrong_length(demo_clip, tmp_path, delta):
    n = demo_clip.n_frames
    keep = np.ones(n + delta, bool)
    with pytest.raises(ValueError, match=rf"demo.mp4: keep has {n + delta} flags but the video decodes to {n} frames"):
        write_summary(demo_clip.path, keep, tmp_path / "summary.mp4", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_empty_or_malformed_keep(demo_clip, tmp_path):
    n = demo_clip.n_frames
    with pytest.raises(ValueError, match="selects no frame"):
        write_summary(demo_clip.path, np.zeros(n, bool), tmp_path / "s.mp4", progress=False)
    with pytest.raises(ValueError, match="one flag per frame"):
        write_summary(demo_clip.path, np.ones((n, 2), bool), tmp_path / "s.mp4", progress=False)
    with pytest.raises(ValueError, match="boolean"):
        write_summary(demo_clip.path, np.full(n, 0.5), tmp_path / "s.mp4", progress=False)
    result = write_summary(demo_clip.path, _keep(n, (0, 3)).astype(int), tmp_path / "s.mp4", progress=False)
    assert result.frames_written == 3


def test_short_source_and_progress_bar(tmp_path, capsys, monkeypatch):
    from utils import progress

    source = tmp_path / "short.mp4"
    write_demo_video(source, scenes=2, seconds_per_scene=0.2, fps=25, size=(64, 48))
    result = write_summary(source, _keep(10, (2, 8)), tmp_path / "short_summary.mp4")
    assert result.frames_written == 6 == count_frames(tmp_path / "short_summary.mp4")
    assert capsys.readouterr().err == ""  # stderr is not a terminal here: a bar of frames writes nothing into a log
    monkeypatch.setattr(progress, "is_terminal", lambda stream: True)
    write_summary(source, _keep(10, (2, 8)), tmp_path / "again.mp4")
    assert "writing again.mp4" in capsys.readouterr().err


def test_nothing_written_for_a_bad_source(tmp_path):
    from video.errors import VideoOpenError

    with pytest.raises(VideoOpenError, match="missing.mp4"):
        write_summary(tmp_path / "missing.mp4", np.ones(3, bool), tmp_path / "s.mp4", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_odd_size_source_keeps_its_size(tmp_path):
    source = tmp_path / "odd.mkv"
    with av.open(str(source), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 65, 47, "yuv444p"
        for index in range(6):
            frame = av.VideoFrame.from_ndarray(np.full((47, 65, 3), 90, np.uint8), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    out = tmp_path / "odd_summary.mp4"
    write_summary(source, np.ones(6, bool), out, progress=False)
    assert (probe(out).width, probe(out).height) == (65, 47) and count_frames(out) == 6


def test_codec_the_container_cannot_hold(demo_clip, keep, tmp_path):
    with pytest.raises(ValueError, match="summary.webm: 'webm' format does not support 'mpeg4'"):
        write_summary(demo_clip.path, keep, tmp_path / "summary.webm", video_codec="mpeg4", progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("code", "reason"), [(-542398533, "Generic error in an external library"),
                                             (-errno.ENOSPC, "No space left on device")], ids=["external", "disk-full"])
def test_ffmpeg_failure_while_encoding_names_the_output(demo_clip, keep, tmp_path, monkeypatch, code, reason):
    from video.errors import VideoEncodeError

    real_encode, calls = writer_module._encode, []

    def failing_encode(stream, frame):
        calls.append(frame)
        if len(calls) == 10:
            av.error.err_check(code, str(tmp_path / ".summary.mp4.abcdefgh.partial"))
        return real_encode(stream, frame)

    monkeypatch.setattr(writer_module, "_encode", failing_encode)
    with pytest.raises(VideoEncodeError, match=r"summary.mp4: encoding failed after \d+ kept frames, so it was not written") as caught:
        write_summary(demo_clip.path, keep, tmp_path / "summary.mp4", progress=False)
    assert reason in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def _tone_share(samples: np.ndarray, rate: int) -> float:
    """Share of 50 ms windows that are loud and at the variable-rate clip's tone."""
    window = rate // 20
    pieces = [samples[i:i + window] for i in range(0, len(samples) - window + 1, window)]
    return float(np.mean([np.abs(p).max() > 0.1 and abs(dominant_pitch(p, rate) - VFR_TONE_HZ) < 25 for p in pieces]))


@pytest.fixture(scope="module")
def variable_rate_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("vfr") / "vfr.mp4"
    return path, write_variable_rate_clip(path)


def test_variable_rate_source_keeps_each_frame_s_time_and_sound(variable_rate_clip, tmp_path):
    source, times = variable_rate_clip
    decoded = frame_times(source)
    np.testing.assert_allclose(decoded, times, atol=1e-4)
    slow = _keep(len(times), (60, 80))  # the 20 frames shown at 10 fps: 2 s, under the tone
    clock = FrameClock.from_times(decoded, probe(source).frame_rate)
    result = write_summary(source, slow, tmp_path / "slow.mp4", progress=False, clock=clock)
    assert result.frames_written == 20 == count_frames(tmp_path / "slow.mp4")
    assert result.video_seconds == pytest.approx(2.0) and result.audio_seconds == pytest.approx(2.0, abs=0.03)
    np.testing.assert_allclose(np.diff(frame_times(tmp_path / "slow.mp4")), 0.1, atol=1e-3)
    samples, rate = decoded_audio(tmp_path / "slow.mp4")
    assert _tone_share(samples[: int(1.9 * rate)], rate) > 0.9
    after = _keep(len(times), (80, 110))  # 1 s of 30 fps frames after the tone: silence
    write_summary(source, after, tmp_path / "after.mp4", progress=False, clock=clock)
    samples, rate = decoded_audio(tmp_path / "after.mp4")
    assert np.abs(samples).max() < 0.02


def test_without_a_clock_a_variable_rate_source_is_cut_by_frame_count(variable_rate_clip, tmp_path):
    # What the clock is for: counting frames at the average rate (70/3 fps here) takes the
    # 10 fps frames' sound from the wrong seconds.
    source, times = variable_rate_clip
    result = write_summary(source, _keep(len(times), (60, 80)), tmp_path / "s.mp4", progress=False)
    assert result.video_seconds == pytest.approx(20 * 3 / 70)


def test_avi_cannot_hold_variable_rates_and_says_so(variable_rate_clip, tmp_path, caplog):
    source, times = variable_rate_clip
    result = write_summary(source, _keep(len(times), (60, 80)), tmp_path / "s.avi", progress=False,
                           clock=FrameClock.from_times(frame_times(source), probe(source).frame_rate))
    assert result.frames_written == 20 and "vfr.mp4 has a variable frame rate" in caplog.text
