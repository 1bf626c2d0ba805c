"""Per-order columns whose memory follows the orders in flight, not the length of the run.

The engine indexes its per-order state by global order id, as plain numpy arrays (the per-order
path stays one array lookup). Each column here spans every id the run may reach, but is backed by
an anonymous private memory map: only pages that are written take memory, and once every order
below an id is finished and handed on (:meth:`Window.release`), the pages below it are given back
to the operating system (``madvise(MADV_DONTNEED)``). So resident memory is the span from the
oldest order still open to the newest drawn, whatever the horizon. Where ``madvise`` is missing
(Windows) the columns are ordinary arrays and nothing is given back.

Ids past the capacity grow every column (new maps, the live span copied); holders reach their
columns through attributes (``book.stage``), which a growth replaces, never through a kept array.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass

import numpy as np

CAN_RELEASE = hasattr(mmap, "MADV_DONTNEED") and hasattr(mmap, "MAP_PRIVATE")


def _mapped(n: int, dtype: np.dtype) -> tuple[np.ndarray, mmap.mmap | None]:
    """An array of ``n`` zero-initialised items whose pages take memory only once written, and
    the map behind it (None where pages cannot be given back)."""
    if not CAN_RELEASE:
        return np.zeros(n, dtype=dtype), None
    flags = mmap.MAP_PRIVATE | getattr(mmap, "MAP_NORESERVE", 0)
    buffer = mmap.mmap(-1, max(n * dtype.itemsize, 1), flags=flags)
    return np.frombuffer(buffer, dtype=dtype, count=n), buffer


@dataclass
class _Column:
    holder: object
    name: str
    dtype: np.dtype
    fill: object  # value of an id not yet written (NaN, -1, 0, False)
    buffer: mmap.mmap | None = None
    released_bytes: int = 0  # pages below this byte offset were given back


class Window:
    """Columns of several holders over ids ``[0, capacity)``: filled as ids are opened,
    released behind the oldest open one."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(int(capacity), 1)
        self.opened = 0  # ids [0, opened) have their columns initialised
        self.released = 0  # ids below this gave their pages back
        self._columns: list[_Column] = []

    def add(self, holder: object, name: str, dtype: np.dtype | type, fill: object = 0) -> None:
        """Give ``holder`` a column ``name`` (an attribute) of ``dtype``; unwritten ids read
        ``fill``."""
        if self.opened:
            raise RuntimeError("columns are added before the first id is opened")
        column = _Column(holder, name, np.dtype(dtype), fill)
        self._columns.append(column)
        array, column.buffer = _mapped(self.capacity, column.dtype)
        setattr(holder, name, array)

    def open(self, n: int) -> None:
        """Make ids ``[opened, n)`` usable, each column at its fill value."""
        if n > self.capacity:
            self._grow(max(n, 2 * self.capacity))
        lo = self.opened
        for c in self._columns:
            if c.fill != 0:
                getattr(c.holder, c.name)[lo:n] = c.fill
        self.opened = max(self.opened, n)

    def release(self, upto: int) -> None:
        """Ids below ``upto`` will never be read or written again: give their pages back."""
        upto = min(int(upto), self.opened)
        if upto <= self.released:
            return
        if CAN_RELEASE:
            page = mmap.PAGESIZE
            for c in self._columns:
                stop = upto * c.dtype.itemsize // page * page
                if c.buffer is not None and stop > c.released_bytes:
                    c.buffer.madvise(mmap.MADV_DONTNEED, c.released_bytes, stop - c.released_bytes)
                    c.released_bytes = stop
        self.released = upto

    def _grow(self, capacity: int) -> None:
        """Move every column to a larger map, copying the live span ``[released, opened)``."""
        lo, hi = self.released, self.opened
        for c in self._columns:
            old = getattr(c.holder, c.name)
            new, c.buffer = _mapped(capacity, c.dtype)
            new[lo:hi] = old[lo:hi]
            setattr(c.holder, c.name, new)
            c.released_bytes = 0  # the new map's pages below ``lo`` were never written
        self.capacity = capacity

    def resident_ids(self) -> int:
        """How many ids' pages may be resident (for tests and benchmarks)."""
        return self.opened - self.released
