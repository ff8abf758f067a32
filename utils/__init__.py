"""Small helpers with no knowledge of the method: safe file output."""

from utils.files import atomic_output, write_json_atomic

__all__ = ["atomic_output", "write_json_atomic"]
