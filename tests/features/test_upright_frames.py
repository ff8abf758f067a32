"""Phone videos are analysed as shown: the display matrix turns (and mirrors) every frame before it
is cropped and embedded, on every route, as OpenCV turns the frames the reference embeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from features.analysis import analyse_video
from features.crop import GOOGLENET_CROP
from features.decode_ahead import DecodeAhead
from features.embedder import BackboneSource, load_frame_embedder
from features.extract import frames_at_rate
from features.frames import THUMBNAIL_SIZE, cropped_frames, sampled_frames, thumbnail
from features.segmentation import Segmentation
from features.shots import find_shots
from tests.features.conftest import SCENE_FRAMES, SIZE, scene_looks
from tests.video.helpers import write_rotated_clip
from video.reader import iter_frames, read_orientation

ROOT = Path(__file__).resolve().parents[2]
# name -> PyAV's set_display_rotation arguments (counter-clockwise degrees, left-right mirror)
TURNS = {"90": (90, False), "180": (180, False), "270": (-90, False), "mirrored": (0, True)}

# The reference's side, in its own interpreter (OpenCV's decoder and the one-frame network, nothing
# of this process's): every frame as OpenCV reads it (CAP_PROP_ORIENTATION_AUTO, its default), the
# reference's features and shots. argv: triples of clip, output .npz, and "flip" to turn the frames
# upside down first (or "as-read").
REFERENCE = """
import sys
import numpy as np
from tests.summarize.reference import opencv_frames, reference_shots, reference_style_features
for clip, out, flip in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3], strict=True):
    frames = opencv_frames(clip)
    if flip == "flip":
        frames = [np.ascontiguousarray(frame[::-1]) for frame in frames]
    features = reference_style_features(frames)
    np.savez(out, frames=np.stack(frames), features=features, shots=reference_shots(features))
"""


def write_turned_scenes(path: Path, degrees: int, mirrored: bool) -> None:
    """The three scenes of ``scene_clip`` (cuts at frames 12 and 21), stored as drawn, with a display matrix."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.set_display_rotation(degrees, hflip=mirrored)
        for look, frames in zip(scene_looks(), SCENE_FRAMES, strict=True):
            for _ in range(frames):
                container.mux(stream.encode(av.VideoFrame.from_ndarray(look, format="rgb24")))
        container.mux(stream.encode(None))


def reference_runs(runs: list[tuple[Path, Path, bool]]) -> list[dict[str, np.ndarray]]:
    """The reference's frames, features and shots of each (clip, output file, flip), in one child process."""
    argv = [str(part) for clip, out, flip in runs for part in (clip, out, "flip" if flip else "as-read")]
    done = subprocess.run([sys.executable, "-c", REFERENCE, *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found = []
    for _, out, _ in runs:
        with np.load(out) as reference:
            found.append(dict(reference))
    return found


def test_full_route_on_turned_clips_is_the_reference_pipeline(scene_torch_home, tmp_path):
    clips = {name: tmp_path / f"{name}.mp4" for name in TURNS}
    for name, (degrees, mirrored) in TURNS.items():
        write_turned_scenes(clips[name], degrees, mirrored)
    # OpenCV applies only the matrix's angle (FFmpeg's av_display_rotation_get): a left-right mirror
    # comes out turned a half, upside down against what players (and this project) show.
    references = reference_runs([(clips[name], tmp_path / f"{name}.npz", mirrored) for name, (_, mirrored) in TURNS.items()])
    embedder = load_frame_embedder(BackboneSource.IMAGENET, torch.device("cpu"))
    embedder.match_reference_exactly(True)
    route = Segmentation.FULL
    for (name, (degrees, _)), reference in zip(TURNS.items(), references, strict=True):
        clip = clips[name]
        turned = degrees % 180 != 0
        assert reference["frames"].shape[1:3] == ((SIZE[0], SIZE[1]) if turned else (SIZE[1], SIZE[0])), name
        np.testing.assert_array_equal(reference["shots"][1:, 0], [12, 21], name)  # the clip's cuts: the shots are not trivial
        np.testing.assert_array_equal(np.stack(list(iter_frames(clip))), reference["frames"], name)  # the pictures themselves

        analysis = analyse_video(clip, embedder, route.embed_every, route.default_batch_size("cpu"), progress=False)
        np.testing.assert_array_equal(analysis.features, reference["features"], name)
        np.testing.assert_array_equal(find_shots(analysis, route, 15), reference["shots"], name)


@pytest.mark.parametrize(("degrees", "hflip", "vflip"), [(90, False, False), (-90, False, False), (180, False, False),
                                                         (0, True, False), (90, False, True)])
def test_every_route_s_pictures_are_the_frames_as_shown(tmp_path, degrees, hflip, vflip):
    clip = tmp_path / "phone.mp4"
    write_rotated_clip(clip, degrees, hflip=hflip, vflip=vflip, frames=7, size=(64, 48))
    orientation = read_orientation(clip)
    shown = list(iter_frames(clip))
    stored = list(iter_frames(clip, upright=False))
    assert shown[0].shape == ((64, 48, 3) if orientation.swaps_sides else (48, 64, 3))
    assert shown[0].shape != stored[0].shape or not np.array_equal(shown[0], stored[0])  # the matrix changes the picture

    sampled = list(sampled_frames(clip, 3))  # the fast route, and build_dataset's own transforms
    assert [rgb is not None for _, rgb, _ in sampled] == [i % 3 == 0 for i in range(7)]
    for (_, rgb, _), frame in zip(sampled[::3], shown[::3], strict=True):
        np.testing.assert_array_equal(rgb, frame)
    cropped = list(cropped_frames(clip, 3, GOOGLENET_CROP))
    for (_, crop, _), frame in zip(cropped[::3], shown[::3], strict=True):
        np.testing.assert_array_equal(crop, GOOGLENET_CROP(Image.fromarray(frame)))
    for (_, rgb), frame in zip(frames_at_rate(clip, 10.0), shown[::3], strict=True):  # cli.extract_features
        np.testing.assert_array_equal(rgb, frame)

    # the cut signal: each thumbnail laid out as the frame is shown (the same 288 values, so the same cuts)
    columns, rows = THUMBNAIL_SIZE
    with av.open(str(clip)) as container:
        as_stored = thumbnail(next(container.decode(video=0))).reshape(rows, columns, 3)
    np.testing.assert_array_equal(sampled[0][0], orientation.upright(as_stored).reshape(-1))


def test_the_helper_process_that_decodes_ahead_turns_them_too(tmp_path):
    clip = tmp_path / "phone.mp4"
    write_rotated_clip(clip, -90, frames=5, size=(64, 48))
    shown = list(iter_frames(clip))
    with DecodeAhead(clip, 2, GOOGLENET_CROP, crop_slots=2, frame_slots=3) as ahead:
        ahead_frames = list(ahead)
    here = list(cropped_frames(clip, 2, GOOGLENET_CROP))
    assert [crop is not None for _, crop, _ in ahead_frames] == [True, False, True, False, True]
    for (_, crop, _), frame in zip(ahead_frames[::2], shown[::2], strict=True):
        np.testing.assert_array_equal(crop, GOOGLENET_CROP(Image.fromarray(frame)))
    np.testing.assert_array_equal(np.stack([small for small, _, _ in ahead_frames]), np.stack([small for small, _, _ in here]))


def test_a_clip_without_a_matrix_is_analysed_as_stored(scene_clip):
    assert read_orientation(scene_clip).upright_as_stored
    stored = list(iter_frames(scene_clip, upright=False))
    sampled = list(sampled_frames(scene_clip, 1))
    for (_, rgb, _), frame in zip(sampled, stored, strict=True):
        np.testing.assert_array_equal(rgb, frame)
    with av.open(str(scene_clip)) as container:
        np.testing.assert_array_equal(np.stack([small for small, _, _ in sampled]),
                                      np.stack([thumbnail(frame) for frame in container.decode(video=0)]))
