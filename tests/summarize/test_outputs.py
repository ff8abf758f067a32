"""The JSON record and the picture: written for any file name, and showing frames as a player does."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from summarize.outputs import keyframes, write_picture, write_record
from tests.summarize.helpers import make_record
from tests.video.helpers import write_rotated_clip, write_solid_clip
from video.reader import read_orientation

N_FRAMES = 30

# Names that have broken a batch or could: not UTF-8, TeX for matplotlib, a newline, percent signs,
# characters outside the Basic Multilingual Plane, a leading dash.
ODD_NAMES = [os.fsdecode(b"clip\xff\xfe"), "price $x_$ and 5", "two\nlines", "100% %s %(name)s", "smile \U0001f600 ü", "-dash"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("outputs") / "clip.mp4"
    write_solid_clip(path, (30, 160, 60), N_FRAMES)
    return path


@pytest.mark.parametrize("name", ODD_NAMES, ids=ascii)
def test_record_and_picture_for_any_file_name(clip, tmp_path, name):
    source = tmp_path / f"{name}.mp4"
    shutil.copy(clip, source)
    record = make_record(source, N_FRAMES, summary_video=tmp_path / "out" / f"{name}.mp4")
    write_record(record, tmp_path / "record.json")
    text = (tmp_path / "record.json").read_bytes().decode("utf-8")  # strict UTF-8: no lone surrogates
    payload = json.loads(text)
    for value in (payload["source"], payload["summary_video"]):
        value.encode("utf-8")  # raises on a lone surrogate
    if "source_path_bytes" in payload:  # a name that is not UTF-8: the exact bytes are kept too
        assert bytes.fromhex(payload["source_path_bytes"]) == os.fsencode(source)
    else:
        assert payload["source"] == str(source)
    write_picture(record, tmp_path / "picture.png", note=f"backbone: weights from {source}")
    with Image.open(tmp_path / "picture.png") as image:
        assert image.size[0] > 500


def test_keyframes_are_shown_upright(tmp_path):
    source = tmp_path / "phone.mp4"
    write_rotated_clip(source, -90, frames=N_FRAMES, size=(64, 48))
    record = make_record(source, N_FRAMES, orientation=read_orientation(source))
    _, frames = keyframes(record)
    assert frames and all(frame.shape == (64, 48, 3) for frame in frames)  # stored 64 wide, shown 48 wide
    payload = record.payload()
    assert payload["display_rotation_degrees"] == 270 and payload["display_mirrored"] is False


def test_a_useless_model_is_said_in_the_record_and_in_red_on_the_picture(clip, tmp_path):
    plain = make_record(clip, N_FRAMES)
    warned = make_record(clip, N_FRAMES)
    warned.warnings = ["100% of the predicted scores are within 1e-06 of 0 or 1: the sigmoid is saturated"]
    write_record(warned, tmp_path / "warned.json")
    assert json.loads((tmp_path / "warned.json").read_text())["warnings"] == warned.warnings
    write_record(plain, tmp_path / "plain.json")
    assert json.loads((tmp_path / "plain.json").read_text())["warnings"] == []
    write_picture(plain, tmp_path / "plain.png")
    write_picture(warned, tmp_path / "warned.png")
    with Image.open(tmp_path / "plain.png") as before, Image.open(tmp_path / "warned.png") as after:
        assert after.size[1] > before.size[1]  # the warning's lines under the panels
        def red(image):
            pixels = np.asarray(image.convert("RGB")).astype(int)
            return int(((pixels[..., 0] > 180) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)).sum())

        assert red(after) > 0 == red(before)
