import json
import subprocess
import sys
from pathlib import Path

import pytest

import config
from config import DATASETS, CorrelationTarget, F1Reduction, dataset_specs

ROOT = Path(__file__).resolve().parents[1]


def test_dataset_specs_all_gives_both_datasets_in_order():
    assert [spec.name for spec in dataset_specs("all")] == ["SumMe", "TVSum"]


@pytest.mark.parametrize("name", ["SumMe", "TVSum"])
def test_dataset_specs_one_name_gives_that_spec(name):
    assert dataset_specs(name) == [DATASETS[name]]


@pytest.mark.parametrize("choice", ["summe", "", "SumMe,TVSum", "ALL"])
def test_dataset_specs_refuses_other_names_and_lists_the_choices(choice):
    with pytest.raises(ValueError, match=r"choose one of SumMe, TVSum or 'all'") as error:
        dataset_specs(choice)
    assert repr(choice) in str(error.value)


def test_the_datasets_differ_where_the_protocol_says():
    summe, tvsum = DATASETS["SumMe"], DATASETS["TVSum"]
    assert (summe.f1_reduction, summe.correlation_target, summe.needs_annotation_file) == (
        F1Reduction.MAX, CorrelationTarget.MEAN_USER_SUMMARY, False)
    assert (tvsum.f1_reduction, tvsum.correlation_target, tvsum.needs_annotation_file) == (
        F1Reduction.MEAN, CorrelationTarget.EACH_ANNOTATOR, True)


def test_h5_path_is_the_eccv16_file_name_inside_the_given_folder(tmp_path):
    assert DATASETS["SumMe"].h5_path(tmp_path) == tmp_path / "eccv16_dataset_summe_google_pool5.h5"
    assert DATASETS["TVSum"].h5_path(str(tmp_path)) == tmp_path / "eccv16_dataset_tvsum_google_pool5.h5"


@pytest.mark.parametrize("name", ["SumMe", "TVSum"])
def test_splits_path_is_the_shipped_splits_file_whatever_the_working_directory(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = DATASETS[name].splits_path()
    assert path == ROOT / "dataset" / "splits" / f"{name}.json"
    assert path.is_absolute() and json.loads(path.read_text())["dataset"] == name


def test_default_folders_are_relative_to_the_current_folder():
    assert config.PROJECT_ROOT == ROOT
    # default folders are relative to the current folder, as the paths a user passes (run from the clone: its own)
    assert config.DEFAULT_DATA_DIR == Path("data") and config.DEFAULT_WEIGHTS_DIR == Path("weights")


def test_importing_config_loads_neither_torch_nor_numpy():
    # A fresh interpreter: this test process has long imported both.
    code = "import sys, config; print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("width, refused", [(512, 5), (1024, 3), (1280, 3), (512, 10)])
def test_a_refused_pgl_sum_segment_count_is_not_offered_back_and_every_offered_one_works(width, refused):
    with pytest.raises(config.MethodConfigError) as caught:
        config.PGLSumConfig(feature_dim=width, hidden_dim=width, num_segments=refused)
    offered = caught.value.args[0].split("among ")[1].split(" (")[0].split(", ")
    assert str(refused) not in offered and f"width {width}" in str(caught.value)
    for count in map(int, offered):
        assert config.PGLSumConfig(feature_dim=width, hidden_dim=width, num_segments=count).num_segments == count
