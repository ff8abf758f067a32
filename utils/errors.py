"""The root of the project's own error types.

Scripts catch ``ProjectError`` (and the OS errors of files) and print its message in one line;
anything else is a bug or a resource failure (CUDA out of memory, ...) and keeps its traceback.
"""


class ProjectError(Exception):
    """A problem the user can fix (a missing or malformed file, an impossible request); the message says which."""
