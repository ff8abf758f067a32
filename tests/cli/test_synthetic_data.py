import h5py
import pytest

from cli.synthetic_data import main, parse_args


def test_writes_the_chosen_layouts_and_says_synthetic(tmp_path, capsys):
    main(parse_args(["--dataset", "all", "--out", str(tmp_path), "--videos", "3", "--min-steps", "20", "--max-steps", "30"]))
    printed = capsys.readouterr().out
    assert printed.count("wrote SYNTHETIC") == 2
    with h5py.File(tmp_path / "eccv16_dataset_summe_google_pool5.h5") as f:
        assert len(f) == 3 and f.attrs["synthetic"]
        assert all(20 <= f[key]["features"].shape[0] <= 30 for key in f)
    assert (tmp_path / "ydata-anno.tsv").is_file()


def test_the_command_line_refuses_them_before_writing(tmp_path, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--out", str(tmp_path), "--min-steps", "3", "--max-steps", "4"])
    assert "summary budget" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
