from builder.errors import BuildError, PredictionError
from utils.errors import ProjectError


def test_errors_are_project_errors():
    assert issubclass(BuildError, ProjectError) and issubclass(PredictionError, ProjectError)
    assert issubclass(PredictionError, ValueError)
