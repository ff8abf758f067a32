"""Encoders are checked against the output type before any video is decoded."""

from __future__ import annotations

import pytest

from utils.errors import ProjectError
from video.codecs import CodecError, check_encoders
from video.containers import CONTAINERS


@pytest.mark.parametrize("suffix", list(CONTAINERS))
def test_every_container_s_default_encoders_are_usable(tmp_path, suffix):
    check_encoders(tmp_path / f"summary{suffix}", None, None)
    assert list(tmp_path.iterdir()) == []  # checking writes nothing


@pytest.mark.parametrize(("name", "video", "audio", "message"), [
    ("a.mp4", "nosuch", None, "no video encoder named 'nosuch'"),
    ("a.mp4", None, "libx264", "'libx264' is a video encoder, not a audio encoder"),
    ("a.webm", "mpeg4", None, "'webm' format does not support 'mpeg4'"),
    ("a.gif", None, None, "unsupported output suffix '.gif'"),
])
def test_unusable_encoders_are_named_with_the_output(tmp_path, name, video, audio, message):
    with pytest.raises(CodecError, match=message) as caught:
        check_encoders(tmp_path / name, video, audio)
    assert str(tmp_path / name) in str(caught.value)
    assert isinstance(caught.value, ProjectError) and isinstance(caught.value, ValueError)
