import pytest

from config import DATASETS
from dataset import DataError, load_benchmark
from utils.errors import ProjectError


def test_data_errors_reach_both_the_project_s_handlers_and_value_error_handlers(tmp_path):
    # ProjectError: the scripts report it in one line; ValueError: what malformed data raised before.
    assert issubclass(DataError, ProjectError) and issubclass(DataError, ValueError)
    with pytest.raises(ProjectError, match="SumMe features not found") as error:
        load_benchmark(DATASETS["SumMe"], tmp_path)
    assert type(error.value) is DataError
