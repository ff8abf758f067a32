"""cli/stand_in.py: the offline stand-in ImageNet files (random weights, marked as such)."""

from cli.stand_in import main, parse_args
from models.backbone import BACKBONES, imagenet_weights_are_stand_in


def test_stand_in_command_writes_every_backbone(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    main(parse_args(["--backbone", "all"]))
    assert capsys.readouterr().out.count("STAND-IN") == 4
    assert all(imagenet_weights_are_stand_in(spec) for spec in BACKBONES.values())
