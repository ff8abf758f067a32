"""The error raised for input KTS cannot segment."""


class KTSInputError(ValueError):
    """Features or a kernel that cannot be segmented, or parameters that do not fit them."""
