import pytest

from utils.errors import ProjectError
from video.errors import VideoDecodeError, VideoEncodeError, VideoOpenError
from video.reader import probe


@pytest.mark.parametrize("error_type", [VideoOpenError, VideoDecodeError, VideoEncodeError])
def test_video_errors_reach_both_the_project_s_handlers_and_runtime_error_handlers(error_type):
    # ProjectError: the scripts report it in one line; RuntimeError: what these types were before,
    # so a caller's `except RuntimeError` keeps catching them.
    assert issubclass(error_type, ProjectError) and issubclass(error_type, RuntimeError)


def test_a_file_that_is_not_a_video_is_reported_as_a_project_error_naming_it(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    with pytest.raises(ProjectError, match="notes.mp4: cannot open as a video") as error:
        probe(path)
    assert type(error.value) is VideoOpenError
