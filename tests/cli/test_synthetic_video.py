from cli.synthetic_video import main, parse_args
from video.reader import count_frames, probe


def test_command_line(tmp_path, capsys):
    out = tmp_path / "cli.mp4"
    main(parse_args([str(out), "--scenes", "2", "--seconds", "0.2", "0.3", "--width", "64", "--height", "48", "--no-audio"]))
    assert "cuts at frames [6]" in capsys.readouterr().out
    assert count_frames(out) == 15 and not probe(out).has_audio
    assert [p.name for p in tmp_path.iterdir()] == ["cli.mp4"]  # no temporary file left beside it
