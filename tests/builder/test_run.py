import logging

from builder.run import run_build
from builder.settings import BuildConfig


def test_mistakes_answer_with_status_2_before_any_network_loads(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    out = tmp_path / "o.h5"
    out.write_bytes(b"earlier")
    assert run_build(BuildConfig(inputs=(tmp_path,), out=out)) == 2
    assert "already exists" in caplog.text
    assert run_build(BuildConfig(inputs=(tmp_path / "missing",), out=tmp_path / "new.h5")) == 2
    assert "no such file or folder" in caplog.text
    assert out.read_bytes() == b"earlier"


def test_ctrl_c_says_where_the_finished_videos_are(tmp_path, caplog, monkeypatch):
    import builder.build
    from video.synthetic import write_demo_video

    caplog.set_level(logging.INFO)
    write_demo_video(tmp_path / "v" / "a.mp4", scenes=1, seconds_per_scene=0.6, fps=30, size=(64, 64), audio=False)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(builder.build, "build", interrupted)
    cfg = BuildConfig(inputs=(tmp_path / "v",), out=tmp_path / "o.h5", random_backbone=True, progress=False)
    assert run_build(cfg) == 130
    assert "o.h5.parts/: run the same command to resume" in caplog.text
