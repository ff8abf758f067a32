import json
import logging

import score
from dataset.custom import LabelKind
from tests.builder.helpers import make_part, write_built


def test_errors_are_one_line_and_status_2(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    data = write_built(tmp_path / "my.h5", LabelKind.SCORES, [make_part("a.mp4")])
    pred = tmp_path / "p.json"
    pred.write_text(json.dumps({"b.mp4": [0.1] * 20}))
    assert score.main(score.parse_args(["--data", str(data), "--pred", str(pred)])) == 2
    assert "predictions for 'b.mp4', which is not a video of" in caplog.text
    pred.write_text(json.dumps({"a.mp4": [0.1 * i for i in range(20)]}))
    assert score.main(score.parse_args(["--data", str(data), "--pred", str(pred), "--f1", "max"])) == 0
    assert "F1: max over annotators" in caplog.text and "video_1" in caplog.text


def test_json_naming_an_input_is_refused_and_the_input_kept(tmp_path, caplog):
    """--json equal to --data or --pred would replace the data set or the predictions with the figures."""
    data = write_built(tmp_path / "my.h5", LabelKind.SCORES, [make_part("a.mp4")])
    pred = tmp_path / "p.json"
    pred.write_text(json.dumps({"a.mp4": [0.1 * i for i in range(20)]}))
    for target in (data, pred):
        before = target.read_bytes()
        assert score.main(score.parse_args(["--data", str(data), "--pred", str(pred), "--json", str(target)])) == 2
        assert f"the output {target} is the input {target}" in caplog.text
        assert target.read_bytes() == before


def _inputs(tmp_path):
    data = write_built(tmp_path / "my.h5", LabelKind.SCORES, [make_part("a.mp4")])
    pred = tmp_path / "p.json"
    pred.write_text(json.dumps({"a.mp4": [0.1 * i for i in range(20)]}))
    return data, pred


def test_h5_and_scores_are_the_spellings_and_the_older_ones_still_work_out_of_help(tmp_path, capsys):
    data, pred = _inputs(tmp_path)
    new = score.parse_args(["--h5", str(data), "--scores", str(pred)])
    old = score.parse_args(["--data", str(data), "--pred", str(pred)])
    assert (new.data, new.pred) == (old.data, old.pred) == (data, pred)
    options = score.build_parser().format_help().split("\noptions:")[1]  # the description names the older spellings once
    assert "--h5 PATH" in options and "--scores PATH" in options and "--data" not in options and "--pred" not in options
    assert "--pred" not in score.build_parser().format_usage() and "--data" not in score.build_parser().format_usage()


def test_a_missing_input_is_required_or_named_before_torch_loads(tmp_path):
    import subprocess
    import sys
    import time

    from tests.test_layout import ROOT

    try:
        score.parse_args(["--h5", str(tmp_path / "my.h5")])
    except SystemExit as stop:
        assert stop.code == 2
    code = ("import sys, score; status = score.main(score.parse_args(sys.argv[1:])); "
            "print(status, 'torch' in sys.modules, 'h5py' in sys.modules)")
    for args, named in ((["--h5", str(tmp_path / "nope.h5"), "--scores", str(tmp_path)], "--h5"),
                        (["--h5", str(_inputs(tmp_path)[0]), "--scores", str(tmp_path / "nope.json")], "--scores")):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
        assert time.monotonic() - started < 5  # 0.3-0.5 s here; 4.5 s when torch loaded first
        assert done.stdout.split() == ["2", "False", "False"]
        assert f"error: {named} " in done.stderr and "no such file" in done.stderr


def test_an_existing_json_is_refused_unless_overwrite(tmp_path, caplog):
    """The one overwrite rule (engine/run_outputs.refuse_existing): refused before scoring, the file kept; --overwrite replaces it."""
    caplog.set_level(logging.INFO)
    data, pred = _inputs(tmp_path)
    out = tmp_path / "figures.json"
    out.write_text("earlier figures")
    argv = ["--h5", str(data), "--scores", str(pred), "--json", str(out)]
    assert score.main(score.parse_args(argv)) == 2
    assert f"{out} already exists; --overwrite replaces it" in caplog.text and out.read_text() == "earlier figures"
    caplog.clear()
    assert score.main(score.parse_args([*argv, "--overwrite"])) == 0
    assert f"writing the figures to {out}" in caplog.text and "video_1" in json.loads(out.read_text())["videos"][0].values()


def test_an_existing_json_is_refused_before_torch_loads(tmp_path):
    import subprocess
    import sys

    from tests.test_layout import ROOT

    data, pred = _inputs(tmp_path)[:2]
    figures = tmp_path / "figures.json"
    figures.write_text("{}")
    code = ("import sys, score; status = score.main(score.parse_args(sys.argv[1:])); "
            "print(status, 'torch' in sys.modules, 'h5py' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, "--h5", str(data), "--scores", str(pred), "--json", str(figures)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["2", "False", "False"]
    assert "figures.json already exists; --overwrite replaces it" in done.stderr and figures.read_text() == "{}"
