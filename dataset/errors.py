"""The one error type for data that is missing or malformed."""


class DataError(ValueError):
    """A data, annotation or splits file that is missing or does not fit; the message names it."""
