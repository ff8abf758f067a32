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
