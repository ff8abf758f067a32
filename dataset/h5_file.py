"""The one place where dataset/ opens an h5 file, so that a damaged file is a DataError naming the file
and the group or dataset that could not be read (HDF5's own messages, such as "Unable to get group
info", name neither). The writers of SYNTHETIC files (dataset/synthetic.py aside) create theirs with
``create_h5``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from dataset.errors import DataError

# What h5py raises when part of a file is damaged (found by overwriting blocks of a synthetic file in
# the eccv16 layout, tests/dataset/test_h5_file.py): HDF5's errors arrive as OSError, KeyError (an
# object header that cannot be read) or RuntimeError (links, group info); a damaged datatype as
# TypeError or ValueError once numpy converts it, a damaged name as UnicodeDecodeError (a ValueError).
H5_READ_ERRORS = (OSError, KeyError, RuntimeError, TypeError, ValueError)


class H5Reader:
    """Read-only access to an open h5 file; every failed read is a DataError naming the file and the object."""

    def __init__(self, handle: h5py.File, path: Path, layout: str = "eccv16") -> None:
        self._h5 = handle
        self.path = path
        self.layout = layout  # what the file should be, for the messages ("the eccv16 layout")

    @classmethod
    def open(cls, path: str | Path, layout: str = "eccv16") -> H5Reader:
        """A reader that holds the file open until ``close`` (for a process that reads it item by item, such as a
        DataLoader worker); ``open_h5`` is the same as a context. A file that is not HDF5 is a DataError naming it."""
        path = Path(path)
        try:
            handle = h5py.File(path, "r")
        except H5_READ_ERRORS as error:
            raise DataError(f"{path}: cannot be read as an HDF5 file ({error})") from error
        return cls(handle, path, layout)

    def close(self) -> None:
        self._h5.close()

    @contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        """Only h5py calls run inside, so that nothing of the project's own is caught here."""
        try:
            yield
        except H5_READ_ERRORS as error:
            raise DataError(
                f"{self.path}: cannot read {what} ({type(error).__name__}: {error}); "
                f"the file is damaged or not in the {self.layout} layout"
            ) from error

    def root_attribute(self, name: str, default: object) -> object:
        with self._reading(f"the root attribute '{name}'"):
            return self._h5.attrs.get(name, default)

    def _names(self, group: str) -> list[str]:
        where = "the list of groups at the file's root" if group == "/" else f"the member list of {group}"
        with self._reading(where):
            names = list(self._h5[group])
        damaged = [name for name in names if not isinstance(name, str)]
        if damaged:
            raise DataError(f"{self.path}: cannot read {where}: the name {damaged[0]!r} is not text; the file is damaged")
        return names

    def groups(self) -> list[str]:
        """Names of the groups at the root (the videos); other root members are left alone."""
        names = []
        for name in self._names("/"):
            with self._reading(name):
                is_group = isinstance(self._h5[name], h5py.Group)
            if is_group:
                names.append(name)
        return names

    def members(self, group: str) -> list[str]:
        """Names of everything in ``group``."""
        return self._names(group)

    def contains(self, name: str) -> bool:
        """Whether the file has a group or dataset at ``name`` (a path from the root)."""
        with self._reading(f"whether it holds {name}"):
            return name in self._h5

    def is_group(self, name: str) -> bool:
        with self._reading(name):
            return isinstance(self._h5[name], h5py.Group)

    def _dataset(self, what: str) -> h5py.Dataset:
        with self._reading(what):
            node = self._h5[what]
        if not isinstance(node, h5py.Dataset):
            raise DataError(f"{self.path}: {what} is a {type(node).__name__}, not a dataset; the file is damaged or not in the {self.layout} layout")
        return node

    def shape(self, name: str) -> tuple[int, ...]:
        """The shape of the dataset at ``name`` (nothing of its values is read)."""
        node = self._dataset(name)
        with self._reading(f"the shape of {name}"):
            return tuple(node.shape)

    def array(self, group: str, name: str, dtype: type | None = None) -> np.ndarray:
        """The whole of dataset ``group/name`` (``name`` alone when ``group`` is empty), converted to ``dtype`` when given."""
        what = f"{group}/{name}" if group else name
        node = self._dataset(what)
        with self._reading(what if dtype is None else f"{what} as {np.dtype(dtype).name}"):
            return np.asarray(node[()], dtype=dtype)


@contextmanager
def open_h5(path: str | Path, layout: str = "eccv16") -> Iterator[H5Reader]:
    """An h5 file opened for reading; a file that is not HDF5 at all is a DataError naming it. ``layout`` names what the
    file should be, in the messages of a failed read."""
    reader = H5Reader.open(path, layout)
    try:
        yield reader
    finally:
        reader.close()


@contextmanager
def create_h5(path: str | Path) -> Iterator[h5py.File]:
    """A new h5 file at ``path`` (replaced if there), open for writing, closed on exit: for the writers of SYNTHETIC
    data, which write under a temporary name (utils.files.atomic_output) and so never meet a damaged file."""
    with h5py.File(path, "w") as handle:
        yield handle
