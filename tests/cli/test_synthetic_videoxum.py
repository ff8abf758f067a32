import pytest

from cli.synthetic_videoxum import main, parse_args


def test_writes_a_labelled_set(tmp_path, capsys):
    main(parse_args(["--out", str(tmp_path), "--videos", "3", "--dim", "4"]))
    assert "SYNTHETIC" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "anno").iterdir()) == ["test_videoxum.json", "train_videoxum.json", "val_videoxum.json"]
    assert len(list((tmp_path / "feat" / "blip").iterdir())) == 3


def test_argument_errors(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--out", "x", "--videos", "2"])
