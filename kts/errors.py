"""The error raised for input KTS cannot segment."""

from utils.errors import ProjectError


class KTSInputError(ProjectError, ValueError):
    """Features or a kernel that cannot be segmented, or parameters that do not fit them."""
