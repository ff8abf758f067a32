"""Small helpers with no knowledge of the method: safe file output."""

from utils.files import OutputError, atomic_output, atomic_stream, write_json_atomic

__all__ = ["OutputError", "atomic_output", "atomic_stream", "write_json_atomic"]
