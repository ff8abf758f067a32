"""A feature folder's settings record (dataset/feature_settings.py): read back as written, refused when it differs, named when damaged."""

import pytest

from dataset.errors import DataError
from dataset.feature_settings import FeatureSettings, SettingsMismatch, check_settings, read_settings, write_settings

GOOGLENET = FeatureSettings("googlenet", 1024, 1.0, "preset", "imagenet")


def test_the_record_reads_back_and_an_absent_one_is_none(tmp_path):
    assert read_settings(tmp_path) is None
    check_settings(tmp_path, GOOGLENET)  # no record: nothing to compare with
    write_settings(tmp_path, GOOGLENET)
    assert read_settings(tmp_path) == GOOGLENET
    check_settings(tmp_path, GOOGLENET)


def test_other_settings_are_refused_naming_each_difference_and_the_file(tmp_path):
    write_settings(tmp_path, GOOGLENET)
    other = FeatureSettings("resnet", 512, 2.0, "preset", "imagenet")
    with pytest.raises(SettingsMismatch) as caught:
        check_settings(tmp_path, other)
    message = str(caught.value)
    assert str(tmp_path / "extraction.json") in message and "--overwrite" in message
    assert "backbone googlenet (recorded) vs resnet (asked)" in message and "fps 1.0 (recorded) vs 2.0 (asked)" in message
    assert "preprocessing" not in message  # only what differs


@pytest.mark.parametrize("text", ["not json", "[]", '{"backbone": "googlenet"}', '{"backbone": "g", "feature_width": "wide", "fps": 1, '
                                  '"preprocessing": "p", "weights": "w"}'])
def test_a_damaged_record_is_named(tmp_path, text):
    (tmp_path / "extraction.json").write_text(text)
    with pytest.raises(DataError, match=str(tmp_path / "extraction.json")):
        read_settings(tmp_path)
