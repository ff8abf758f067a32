"""How much memory this process and its children hold, read from /proc (Linux): the memory benchmarks' one reader."""

from __future__ import annotations

import os
from pathlib import Path


def status_kb(pid: int | str, field: str, table: str = "status") -> int:
    """A kB figure of /proc/<pid>/<table> (status: VmRSS, VmHWM; smaps_rollup: Pss), 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/{table}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def children() -> list[str]:
    """The process ids whose parent is this process (DataLoader workers)."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == me:
                    found.append(entry.name)
            except (OSError, IndexError):
                continue
    return found


def resident_mb() -> tuple[float, float]:
    """(this process's resident memory, the proportional set size of it and its children), MB.

    PSS shares each page among the processes mapping it, so forked workers' pages shared with this
    process are not counted twice, as a sum of their RSS would count them."""
    own = status_kb("self", "VmRSS")
    together = sum(status_kb(pid, "Pss", "smaps_rollup") for pid in ["self", *children()])
    return own / 1024, together / 1024


def peak_resident_mb() -> float:
    """This process's peak resident memory (VmHWM), MB."""
    return status_kb("self", "VmHWM") / 1024
