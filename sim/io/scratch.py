"""A scratch file in the run dir for values a run must rank at the end but should not hold.

The delivery-time p90 is exact (:func:`sim.engine.quantile.exact_percentile`): it ranks one
delivery time per delivered cohort order, 8 bytes each (147 MB in a year of the `large` network).
A run that writes files appends them here instead of keeping them in memory, and the p90 is found
in a few passes over the file, one chunk in memory at a time; the file is removed when the run
ends, whether it succeeds or fails.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from sim.io.safe import make_dirs

READ_VALUES = 1 << 20  # values per chunk read back (8 MB)
PREFIX, SUFFIX = ".delivery_h.", ".scratch"  # the scratch file's name: PREFIX<random>SUFFIX


def is_scratch_file(path: Path) -> bool:
    """A scratch file of this module: what a process killed mid-run leaves behind."""
    name = path.name
    return name.startswith(PREFIX) and name.endswith(SUFFIX) and not path.is_symlink()


class SpilledValues:
    """Float64 values appended to an open scratch file, read back chunk by chunk."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def append(self, values: np.ndarray) -> None:
        self._file.seek(0, os.SEEK_END)
        self._file.write(np.ascontiguousarray(values, dtype="<f8").tobytes())

    def chunks(self) -> Iterator[np.ndarray]:
        self._file.flush()
        at = 0
        while True:
            self._file.seek(at)
            data = self._file.read(READ_VALUES * 8)
            if not data:
                return
            at += len(data)
            yield np.frombuffer(data, dtype="<f8")


@contextlib.contextmanager
def scratch_values(folder: str | Path) -> Iterator[SpilledValues]:
    """A :class:`SpilledValues` on a fresh hidden file in ``folder`` (never through a link),
    removed when the block ends."""
    folder = make_dirs(Path(folder))
    fd, name = tempfile.mkstemp(dir=folder, prefix=PREFIX, suffix=SUFFIX)
    try:
        with os.fdopen(fd, "w+b") as file:
            yield SpilledValues(file)
    finally:
        Path(name).unlink(missing_ok=True)
