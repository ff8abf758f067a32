import logging
import subprocess
import sys

import numpy as np
import pytest

from cli.extract_features import BACKBONES, main, parse_args
from config import Backbone
from models.backbone import backbone_spec
from video.synthetic import write_demo_video


def test_backbone_choices_match_the_library():
    assert [backbone_spec(name).backbone for name in BACKBONES] == list(Backbone)


@pytest.mark.parametrize("argv", [["v.mp4"], ["v.mp4", "--out", "o", "--fps", "0"], ["v.mp4", "--out", "o", "--fps", "x"],
                                  ["v.mp4", "--out", "o", "--random-backbone", "--backbone-weights", "w.pth"],
                                  ["v.mp4", "--out", "o", "--backbone", "resnet", "--exact"]])
def test_argument_errors(argv):
    with pytest.raises(SystemExit) as caught:
        parse_args(argv)
    assert caught.value.code == 2


def test_help_does_not_import_torch():
    code = "import sys; from cli.extract_features import parse_args\ntry: parse_args(['--help'])\nexcept SystemExit: pass\nprint('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip().endswith("False")


def test_extracts_a_folder_then_skips_it(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    write_demo_video(tmp_path / "videos" / "v_x.mp4", scenes=1, seconds_per_scene=1.0, fps=10, size=(64, 48), audio=False)
    argv = [str(tmp_path / "videos"), "--out", str(tmp_path / "feat" / "googlenet"), "--random-backbone", "--quiet"]
    assert main(parse_args(argv)) == 0
    assert np.load(tmp_path / "feat" / "googlenet" / "v_x.npz")["features"].shape == (1, 1024)
    assert main(parse_args(argv)) == 0
    assert "skipped 1" in caplog.text
    assert main(parse_args([str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--random-backbone"])) == 1
