"""engine/weights_model.py: the record beside a weights file, read once for every script."""

import logging

import pytest

from engine.weights_model import read_training_record


@pytest.mark.parametrize(("text", "why"), [("[1, 2]", "not a JSON object"), ('"CSTA"', "not a JSON object"),
                                           ("{not json", "unreadable"), (b"\xff\xfe{}", "unreadable")])
def test_a_record_that_is_not_a_json_object_is_ignored_with_a_warning(tmp_path, caplog, text, why):
    weights = tmp_path / "split1.pt"
    weights.write_bytes(b"")
    record = tmp_path / "split1.json"
    record.write_bytes(text if isinstance(text, bytes) else text.encode())
    with caplog.at_level(logging.WARNING, logger="engine.weights_model"):
        assert read_training_record(weights) is None
    assert why in caplog.text and str(record) in caplog.text


def test_a_record_is_read_and_no_record_is_none(tmp_path):
    weights = tmp_path / "split1.pt"
    assert read_training_record(weights) is None
    (tmp_path / "split1.json").write_text('{"method": "CSTA"}')
    assert read_training_record(weights) == {"method": "CSTA"}
