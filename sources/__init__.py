"""The data sets every command knows, each declared once (sources/<name>.py), and the registry the
scripts ask: how a data set is read, split, chosen on, scored and reported, and which flags it takes.

No module outside a source compares a data set's name: a command asks ``sources_for(--dataset)`` and
the sources answer. A new data set is one module here, one entry in SOURCES, its docs and its tests.
Standard library and config.py only (read while the command line is parsed, before torch).
"""

from __future__ import annotations

from sources.custom import CUSTOM_SOURCE
from sources.eccv16 import SUMME, TVSUM
from sources.mosu import MOSU_SOURCE
from sources.mrhisum import MRHISUM_SOURCE
from sources.source import DataRequest, DataSource, RouteRequest, SourceFlag, SplitScheme
from sources.videoxum import VIDEOXUM_SOURCE

__all__ = ["ALL", "SOURCES", "DataRequest", "DataSource", "RouteRequest", "SourceFlag", "SplitScheme", "dataset_choices", "own_route", "source_for", "sources_for"]

ALL = "all"  # --dataset all: every source with ``in_all`` (SumMe and TVSum), in this order

SOURCES: dict[str, DataSource] = {source.name: source for source in (SUMME, TVSUM, VIDEOXUM_SOURCE, MRHISUM_SOURCE, MOSU_SOURCE, CUSTOM_SOURCE)}


def source_for(name: str) -> DataSource:
    """The source called ``name`` (a --dataset value other than all)."""
    if name not in SOURCES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(SOURCES)} or {ALL!r}")
    return SOURCES[name]


def sources_for(choice: str) -> list[DataSource]:
    """The sources a --dataset value names: all of those in --dataset all, or the one."""
    if choice == ALL:
        return [source for source in SOURCES.values() if source.in_all]
    return [source_for(choice)]


def own_route(choice: str) -> str | None:
    """The module of the route of the source --dataset names when it has its own (sources/source.DataSource.route), else None."""
    routes = {source.route for source in sources_for(choice)}
    return routes.pop() if len(routes) == 1 else None


def dataset_choices(opt_in: bool = False) -> list[str]:
    """--dataset's choices in --help's order: the sources of all, all, then the others (``opt_in``: also those that ask for it)."""
    grouped = [name for name, source in SOURCES.items() if source.in_all]
    others = [name for name, source in SOURCES.items() if not source.in_all and (opt_in or not source.opt_in)]
    return [*grouped, ALL, *others]
