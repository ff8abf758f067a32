"""The paths a user names: printable names, and the videos a list of files and folders holds."""

import pytest

from utils.errors import ProjectError
from utils.paths import InputError, display_path, find_videos


def test_a_name_that_is_not_utf8_is_printed_with_escapes():
    assert display_path(b"clip\xff.mp4") == "clip\\xff.mp4"
    assert display_path("clip\udcff.mp4") == "clip\\xff.mp4"  # the same name as Python's os functions give it


def test_folders_are_scanned_for_the_extensions_and_a_file_is_taken_once(tmp_path):
    for name in ("b.MP4", "a.mkv", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "link.mkv").symlink_to(tmp_path / "a.mkv")
    found = find_videos([tmp_path, tmp_path / "a.mkv"], ("mp4", "mkv"))
    assert found.videos == [tmp_path / "a.mkv", tmp_path / "b.MP4"] and found.folders == [tmp_path]


@pytest.mark.parametrize("problem", ["missing", "dangling link"])
def test_an_input_that_is_not_there_is_named(tmp_path, problem):
    path = tmp_path / "gone.mp4"
    if problem == "dangling link":
        path.symlink_to(tmp_path / "nowhere.mp4")
    with pytest.raises(InputError, match="gone.mp4") as caught:
        find_videos([path], ("mp4",))
    assert isinstance(caught.value, ProjectError)  # the scripts report it in one line
