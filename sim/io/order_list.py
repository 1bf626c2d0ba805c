"""A list of order ids from a file: which orders a now-cast's what-if acts on.

A CSV file with a header naming an ``order_id`` column (other columns ignored), so a filtered
``risk.csv`` of a now-cast can be handed back as it is; or a plain text file of one id a line.
Every id is checked (an integer >= 0) and a bad one ends with one line naming ``file:line``.
Nothing read executes code; symbolic links, non-regular files and files above a size limit are
refused.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import numpy as np

from scenarios.errors import ConfigError

MAX_ORDER_LIST_BYTES = 64 * 1024**2
ID_COLUMN = "order_id"


def read_order_ids(path: Path) -> np.ndarray:
    """The order ids listed in ``path`` (file order, repeats removed)."""
    text = _read_text(path)
    lines = text.splitlines()
    header = next(csv.reader([lines[0]])) if lines else []
    column, first = (header.index(ID_COLUMN), 1) if ID_COLUMN in header else (0, 0)
    ids: list[int] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number <= first or not row or not "".join(row).strip():
            continue
        cell = row[column].strip() if column < len(row) else ""
        if not (cell.isdigit() and cell.isascii()):
            expected = f"an order id (integer >= 0) in column {column + 1}"
            raise ConfigError(f"{path}:{number}", expected, cell)
        ids.append(int(cell))
    if not ids:
        raise ConfigError(str(path), "at least one order id (a column order_id, or one id a line)")
    return np.asarray(list(dict.fromkeys(ids)), dtype=np.int64)


def _read_text(path: Path) -> str:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise ConfigError(str(path), "a file listing order ids, found no file") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise ConfigError(str(path), "a regular file (symbolic links are not followed)")
    if info.st_size > MAX_ORDER_LIST_BYTES:
        raise ConfigError(str(path), f"at most {MAX_ORDER_LIST_BYTES:,} bytes", info.st_size)
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(str(path), "UTF-8 text") from None
