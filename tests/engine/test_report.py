"""engine/report.py: checksums, and the tables and JSON the scripts print."""

import hashlib

from engine.report import sha256_of


def test_checksum(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc" * 1_000_000)
    assert sha256_of(path) == hashlib.sha256(b"abc" * 1_000_000).hexdigest()
