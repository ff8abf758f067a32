"""engine/ablation/grid.py: the shipped grid holds valid, distinct variants; every bad row is refused
with a message naming the file and the row, before anything runs."""

import json

import pytest

from config import Backbone, ClsMix, ModelConfig, PositionalEncoding, SkipConnection, ValueSource
from engine.ablation.grid import PAPER_GRID, GridError, read_grid, slug_of, table_paths


def grid_file(tmp_path, rows, **extra):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"format": "csta-ablation-grid/1", "variants": rows, **extra}))
    return path


def test_the_paper_grid_covers_every_backbone_and_option_value():
    variants = read_grid(PAPER_GRID)
    configs = [v.config for v in variants]
    assert variants[0].config == ModelConfig()  # the released model comes first
    assert {(c.backbone, c.value_source) for c in configs} == {(b, s) for b in Backbone for s in ValueSource}
    assert {c.positional_encoding for c in configs} == {*PositionalEncoding, None}
    assert {c.cls_mix for c in configs} == {*ClsMix, None}
    assert {c.skip_connection for c in configs} == {*SkipConnection, None}
    assert len({v.slug for v in variants}) == len(variants) == len(set(configs))
    assert all(v.group for v in variants)


def test_rows_read_with_the_reference_spellings(tmp_path):
    variants = read_grid(grid_file(tmp_path, [
        {"name": "No CLS token!", "options": {"CLS_on": "false"}},
        {"name": "ResNet, scale D", "group": "Backbones", "options": {"model_name": "ResNet_Attention", "Scale": "D"}},
    ]))
    assert [v.slug for v in variants] == ["no-cls-token", "resnet-scale-d"]
    assert variants[0].config == ModelConfig.from_options({"CLS_on": "false"})
    assert variants[1].config.backbone is Backbone.RESNET and variants[1].group == "Backbones"
    assert variants[0].weights_dir(tmp_path) == tmp_path / "ablation" / "no-cls-token"
    assert table_paths(tmp_path) == [tmp_path / "ablation.md", tmp_path / "ablation.json", tmp_path / "ablation.png"]


@pytest.mark.parametrize(("rows", "message"), [
    ([{"name": "a", "options": {"Scael": "D"}}], r"row 1 \('a'\): unknown model option\(s\) Scael"),
    ([{"name": "a"}, {"name": "b", "options": {"Positional_encoding": "XPE"}}], r"row 2 \('b'\): unknown Positional_encoding 'XPE'; choose one of FPE, RPE, LPE, CPE, None"),
    ([{"name": "bad mix", "options": {"CLS_on": "false", "CLS_mix": "SM"}}], r"(?s)row 1 \('bad mix'\):.*CLS_on is false"),
    ([{"name": "b", "options": {"Softmax_axis": "T", "Balance": "BD"}}], r"(?s)row 1 \('b'\):.*needs Softmax_axis TD"),
    ([{"name": "x"}, {"name": "x", "options": {"Scale": "D"}}], r"row 2 \('x'\): same name as row 1"),
    ([{"name": "x y"}, {"name": "X-Y", "options": {"Scale": "D"}}], r"row 2 \('X-Y'\): same folder name as row 1"),
    ([{"name": "x"}, {"name": "y", "options": {"Softmax_axis": "TD"}}], r"row 2 \('y'\): same variant as row 1"),
    ([{"options": {}}], r"row 1: every row needs a \"name\""),
    ([{"name": "a", "option": {}}], r"row 1: unknown field\(s\) option"),
    ([{"name": "a", "options": ["Scale", "D"]}], r"row 1 \('a'\): \"options\" must be an object"),
    ([], "holds no variants"),
])
def test_bad_rows_are_refused_naming_file_and_row(tmp_path, rows, message):
    path = grid_file(tmp_path, rows)
    with pytest.raises(GridError, match=message) as caught:
        read_grid(path)
    assert str(path) in str(caught.value)


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(GridError, match="cannot read"):
        read_grid(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(GridError, match="is not JSON"):
        read_grid(broken)
    with pytest.raises(GridError, match="format 'other/2'"):
        read_grid(grid_file(tmp_path, [{"name": "a"}], format="other/2"))


def test_slugs():
    assert slug_of("+ positional encoding + CLS token") == "positional-encoding-cls-token"
    assert slug_of("%%") == ""
