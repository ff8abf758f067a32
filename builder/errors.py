"""The builder's and scorer's own errors (bad labels and data are dataset.errors.DataError)."""

from utils.errors import ProjectError


class BuildError(ProjectError):
    """A build that cannot start or finish: no videos, an output in the way, a video too short; the message says which."""


class PredictionError(ProjectError, ValueError):
    """Predictions that do not fit the data set: an unknown video, a wrong length, NaN; the message names the video."""
