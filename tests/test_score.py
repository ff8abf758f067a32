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
