"""The run's plan: no output is ever an input, no two videos share an output, before any work.

Planning decodes nothing, so the videos here are a few bytes with a video's name.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

import generate_video
from engine.run_outputs import OutputConflict
from summarize.summary_plan import PlanError, name_outputs, output_kinds
from utils.errors import ProjectError
from utils.paths import display_path, find_videos


def _touch(path: Path, data: bytes = b"not decoded while planning") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def weights(tmp_path) -> Path:
    return _touch(tmp_path / "weights" / "w.pt")


def _plan(*argv, weights: Path):
    return generate_video.plan_run(generate_video.parse_args([*map(str, argv), "--weights", str(weights)]))


def _inputs_of(args) -> list[Path]:
    found = find_videos(args.inputs, args.extensions).videos
    return [*found, args.weights, *([args.backbone_weights] if args.backbone_weights else [])]


# Layouts in which some output would be (or lead to) an input; each returns its command line.
def same_folder(root):
    _touch(root / "in" / "clip.mp4")
    return [root / "in", "--out", root / "in"]


def file_given_from_the_output_folder(root):
    _touch(root / "in" / "clip.mp4")
    return [root / "in" / "clip.mp4", "--out", root / "in"]


def output_name_is_a_link_to_the_input(root):
    _touch(root / "in" / "clip.mp4")
    (root / "out").mkdir()
    (root / "out" / "clip.mp4").symlink_to(root / "in" / "clip.mp4")
    return [root / "in", "--out", root / "out"]


def output_name_is_a_hard_link_to_the_input(root):
    _touch(root / "in" / "clip.mp4")
    (root / "out").mkdir()
    os.link(root / "in" / "clip.mp4", root / "out" / "clip.mp4")
    return [root / "in", "--out", root / "out"]


def output_folder_is_a_link_to_the_input_folder(root):
    _touch(root / "in" / "clip.mp4")
    (root / "out").symlink_to(root / "in", target_is_directory=True)
    return [root / "in", "--out", root / "out"]


def input_reached_through_a_linked_folder(root):
    _touch(root / "in" / "clip.mp4")
    (root / "link").symlink_to(root / "in", target_is_directory=True)
    return [root / "link" / "clip.mp4", "--out", root / "in"]


def picture_over_an_input(root):
    _touch(root / "in" / "clip.png")  # a video with an odd name, given as a file
    return [root / "in" / "clip.png", "--out", root / "in"]


def record_over_the_weights(root):
    _touch(root / "in" / "clip.mp4")
    _touch(root / "out" / "clip.json")
    return [root / "in", "--out", root / "out", "--weights", root / "out" / "clip.json"]


def relative_and_dotted_paths(root):
    _touch(root / "in" / "clip.mp4")
    return [root / "in" / ".." / "in" / "clip.mp4", "--out", root / "in" / "."]


# layout -> the output that lands on an input (None: the output folder is an input folder, always refused)
REFUSED = {same_folder: None, output_folder_is_a_link_to_the_input_folder: None, file_given_from_the_output_folder: "video",
           output_name_is_a_link_to_the_input: "video", output_name_is_a_hard_link_to_the_input: "video",
           input_reached_through_a_linked_folder: "video", relative_and_dotted_paths: "video", picture_over_an_input: "png",
           record_over_the_weights: "json"}


# Layouts that are safe: planned as asked.
def separate_folders(root):
    _touch(root / "in" / "clip.mp4")
    return [root / "in", "--out", root / "out"]


def output_folder_inside_the_input_folder(root):
    _touch(root / "in" / "clip.mp4")
    return [root / "in", "--out", root / "in" / "summaries"]


def other_type_beside_its_source(root):
    _touch(root / "in" / "clip.mov")
    return [root / "in" / "clip.mov", "--out", root / "in"]


ACCEPTED = [separate_folders, output_folder_inside_the_input_folder, other_type_beside_its_source]


@pytest.mark.parametrize("flags", [[], ["--overwrite"], ["--no-extras", "--overwrite"], ["--no-video", "--overwrite"]],
                         ids=["plain", "overwrite", "video-only", "extras-only"])
@pytest.mark.parametrize("layout", [*REFUSED, *ACCEPTED], ids=lambda f: f.__name__)
def test_no_output_is_ever_an_input(tmp_path, weights, layout, flags):
    argv = [*map(str, layout(tmp_path)), *flags]
    if "--weights" not in argv:
        argv += ["--weights", str(weights)]
    args = generate_video.parse_args(argv)
    inputs = _inputs_of(args)
    try:
        plans = generate_video.plan_run(args)
    except (PlanError, OutputConflict) as error:
        message = str(error)
        assert layout in REFUSED, message
        assert "input" in message
        return
    # planned: then no output, followed through any link, is any input
    for plan in plans:
        for output in plan.paths.values():
            for source in inputs:
                assert output.resolve() != source.resolve()
                assert not (output.exists() and os.path.samefile(output, source))
    if layout in REFUSED:  # accepted only when the output that would land on an input is not written
        assert REFUSED[layout] is not None and REFUSED[layout] not in {kind for plan in plans for kind in plan.paths}


def test_refusal_names_the_output_and_the_input(tmp_path, weights):
    with pytest.raises(OutputConflict) as caught:  # every command's one check (engine/run_outputs.refuse_collisions)
        _plan(*file_given_from_the_output_folder(tmp_path), "--overwrite", weights=weights)
    assert str(tmp_path / "in" / "clip.mp4") in str(caught.value) and "would replace the input" in str(caught.value)
    with pytest.raises(OutputConflict, match="is also an input folder"):
        _plan(*same_folder(tmp_path), weights=weights)


# Layouts in which two videos would otherwise share output names.
def two_cameras(root):
    return [_touch(root / "cam1" / "clip.mp4"), _touch(root / "cam2" / "clip.mp4")], [root / "cam1", root / "cam2"]


def same_name_other_type(root):
    return [_touch(root / "v" / "clip.mp4"), _touch(root / "v" / "clip.mkv")], [root / "v"]


def names_that_differ_in_case(root):
    return [_touch(root / "a" / "Clip.mp4"), _touch(root / "b" / "clip.mp4")], [root / "a" / "Clip.mp4", root / "b"]


def names_in_two_unicode_forms(root):
    composed, decomposed = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    return [_touch(root / "a" / f"{composed}.mp4"), _touch(root / "b" / f"{decomposed}.mp4")], [root / "a", root / "b"]


def same_folder_name_deeper(root):
    return [_touch(root / "a" / "x" / "clip.mp4"), _touch(root / "b" / "x" / "clip.mp4")], [root / "a" / "x", root / "b" / "x"]


def mixed(root):
    videos = [_touch(root / "cam1" / "clip.mp4"), _touch(root / "cam1" / "clip.mkv"), _touch(root / "cam2" / "clip.mp4")]
    return videos, [root / "cam1", root / "cam2"]


@pytest.mark.parametrize("layout", [two_cameras, same_name_other_type, names_that_differ_in_case, names_in_two_unicode_forms,
                                    same_folder_name_deeper, mixed], ids=lambda f: f.__name__)
def test_every_video_gets_its_own_outputs(tmp_path, weights, layout, caplog):
    videos, inputs = layout(tmp_path)
    _touch(tmp_path / "in" / "alone.mp4")
    with caplog.at_level("INFO"):
        plans = _plan(*inputs, tmp_path / "in", "--out", tmp_path / "out", "--overwrite", weights=weights)
    assert sorted(p.source for p in plans) == sorted([*videos, tmp_path / "in" / "alone.mp4"])
    # distinct on any disk: whatever the case or Unicode form
    names = [unicodedata.normalize("NFC", path.name).casefold() for plan in plans for path in plan.paths.values()]
    assert len(names) == len(set(names)) == 3 * len(plans)
    assert all(path.parent == tmp_path / "out" for plan in plans for path in plan.paths.values())
    by_source = {plan.source: plan for plan in plans}
    assert by_source[tmp_path / "in" / "alone.mp4"].label == "alone"  # a name nobody shares is kept
    assert "videos with the same name get outputs named after their folders" in caplog.text
    assert all(display_path(p) in caplog.text for p in videos)


def test_labels_say_where_each_video_came_from(tmp_path, weights):
    plans = _plan(*two_cameras(tmp_path)[1], "--out", tmp_path / "out", weights=weights)
    assert sorted(plan.paths["video"].name for plan in plans) == ["cam1_clip.mp4", "cam2_clip.mp4"]
    _, inputs = same_name_other_type(tmp_path / "second")
    plans = _plan(*inputs, "--out", tmp_path / "out2", weights=weights)
    assert sorted(plan.label for plan in plans) == ["clip_mkv", "clip_mp4"]


def test_a_longer_name_that_meets_another_video_is_refused(tmp_path, weights):
    _, inputs = two_cameras(tmp_path)
    _touch(tmp_path / "other" / "cam1_clip.mp4")
    with pytest.raises(PlanError, match="would have the same name"):
        _plan(*inputs, tmp_path / "other", "--out", tmp_path / "out", weights=weights)


def test_the_same_file_twice_is_summarised_once(tmp_path, weights):
    clip = _touch(tmp_path / "in" / "clip.mp4")
    (tmp_path / "link.mp4").symlink_to(clip)
    plans = _plan(tmp_path / "in", clip, tmp_path / "link.mp4", "--out", tmp_path / "out", weights=weights)
    assert [plan.source for plan in plans] == [clip]


@pytest.mark.parametrize("problem", ["missing", "dangling link", "empty folder", "missing weights"])
def test_inputs_that_are_not_there_are_named_before_any_work(tmp_path, weights, problem):
    target = tmp_path / "gone.mp4"
    argv = [target, "--out", tmp_path / "out"]
    if problem == "dangling link":
        target.symlink_to(tmp_path / "nowhere.mp4")
    elif problem == "empty folder":
        target = tmp_path / "empty"
        target.mkdir()
        argv[0] = target
    elif problem == "missing weights":
        _touch(target)
        weights = tmp_path / "no_weights.pt"
    with pytest.raises(ProjectError) as caught:  # PlanError, or utils.paths.InputError for an input that is not there
        _plan(*argv, weights=weights)
    assert str(weights if problem == "missing weights" else target) in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_output_kinds():
    assert output_kinds("mkv", True, True) == {"video": ".mkv", "json": ".json", "png": ".png"}
    assert output_kinds("mp4", False, True) == {"json": ".json", "png": ".png"}
    assert output_kinds("avi", True, False) == {"video": ".avi"}


def test_names_keep_the_source_s_own_bytes(tmp_path):
    odd = Path(os.fsdecode(b"clip\xff"))
    plans = name_outputs([tmp_path / f"{odd}.mp4"], tmp_path / "out", output_kinds("mp4", True, True))
    assert os.fsencode(plans[0].paths["video"].name) == b"clip\xff.mp4"
    assert display_path(plans[0].paths["video"].name) == "clip\\xff.mp4"
