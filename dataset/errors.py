"""The one error type for data that is missing or malformed."""

from utils.errors import ProjectError


class DataError(ProjectError, ValueError):
    """A data, annotation or splits file that is missing or does not fit; the message names it."""
