"""One page for the whole folder, started in this process on a free port with the stand-in
GoogLeNet file as TORCH_HOME, and a gradio client talking to it."""

from __future__ import annotations

import pytest

pytest.importorskip("gradio", reason="the page's extra is not installed: pip install -e '.[app]'")

import torch  # noqa: E402

from models.backbone import BackboneInit  # noqa: E402
from models.csta import build_csta  # noqa: E402
from video.synthetic import write_demo_video  # noqa: E402
from webapp.serve import start  # noqa: E402
from webapp.settings import AppSettings  # noqa: E402


@pytest.fixture(scope="package")
def page(stand_in_files, tmp_path_factory):
    """(address, settings) of a running page; stopped, and its work folder removed, at the end."""
    work = tmp_path_factory.mktemp("page") / "work"
    allowed = tmp_path_factory.mktemp("allowed")
    settings = AppSettings(device="cpu", work_root=work, allow=(allowed.resolve(),), max_upload="5mb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(stand_in_files))
        url, stop = start(settings)
        try:
            yield url, settings
        finally:
            stop()
    assert not work.exists()  # every session's files went with the page


@pytest.fixture(scope="package")
def client(page):
    from gradio_client import Client

    return Client(page[0], verbose=False)


@pytest.fixture(scope="package")
def allowed(page):
    return page[1].allow[0]


@pytest.fixture(scope="package")
def weights(allowed):
    torch.manual_seed(0)
    path = allowed / "csta.pt"
    torch.save(build_csta(BackboneInit.RANDOM).state_dict(), path)
    return path


@pytest.fixture(scope="package")
def clip(allowed):
    """4 s, 3 scenes, with sound, 160 x 96."""
    path = allowed / "clip.mp4"
    write_demo_video(path, scenes=3, seconds_per_scene=[1.5, 1.0, 1.5], fps=30.0, size=(160, 96), seed=1)
    return path
