"""The order-log format: read a company's order history (CSV, parquet or Excel) strictly.

One row per order. A file that is not in the format (a missing column, a date that cannot be
parsed, a word where a number belongs) is refused as a whole with :class:`OrderLogError`, naming
the line and column, because a half-read history would calibrate a wrong twin without a word.
Rows that parse but cannot be true (test orders, duplicates, impossible times) are a different
matter: :mod:`scenarios.calibration.quality` drops and counts them.

Times must be ISO-8601 with a UTC offset (``2026-01-05T09:30:00-05:00`` or ``...Z``). Each row's
own offset gives its local wall-clock time, which is what daily and weekly profiles are about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.errors import OrderLogError

REQUIRED_COLUMNS = (
    "order_id",
    "created_at",
    "region",
    "value",
    "service_level",
    "promised_at",
    "warehouse",
    "mode",
    "shipped_at",
    "delivered_at",
    "status",
)
OPTIONAL_COLUMNS = ("items", "margin", "channel", "product_class", "cost", "is_test")
TIME_COLUMNS = ("created_at", "promised_at", "shipped_at", "delivered_at")
NUMBER_COLUMNS = ("value", "margin", "cost")
# blank allowed: not yet shipped / delivered, or never routed
MAY_BE_BLANK: tuple[str, ...] = ("shipped_at", "delivered_at", "warehouse", "mode")
MAY_BE_BLANK += OPTIONAL_COLUMNS
STATUSES = ("delivered", "open", "cancelled")
TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f", "")
_OFFSET = re.compile(r"(?:Z|(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2}))$")


@dataclass(frozen=True)
class OrderLog:
    """A parsed log: typed columns, times in UTC, plus each time's local wall-clock offset."""

    path: Path
    frame: pd.DataFrame  # typed; ``line`` is where each row stands in the file
    row_word: str  # "line" (CSV) or "row" (Excel, parquet), as the user's tools count them


def _read_raw(path: Path) -> tuple[pd.DataFrame, str, int]:
    """The file as text cells; returns the frame, the word for a row, and the first row's number."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".gz"):
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            return raw, "line", 2
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path), "row", 1
        if suffix in (".xlsx", ".xlsm", ".xls"):
            raw = pd.read_excel(path, dtype=str, keep_default_na=False)
            return raw, "row", 2
    except (OSError, ValueError, ImportError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise OrderLogError(path, "file", f"cannot be read ({first})") from None
    raise OrderLogError(path, "file", "expected a .csv, .parquet or .xlsx order log")


def _as_text(column: pd.Series) -> pd.Series:
    """Cells as stripped strings, blanks as ""; parquet's typed columns are turned back to text."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.map(lambda t: None if pd.isna(t) else t.isoformat())
    return column.astype(object).where(column.notna(), "").astype(str).str.strip()


def _offset_minutes(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each time's UTC offset in minutes, and whether it has one (parsed once per distinct tail)."""
    tails = cells.str[-6:]
    distinct = pd.Series(tails.unique(), dtype=object)
    found = distinct.str.extract(_OFFSET)
    minutes = found["hh"].astype(float) * 60 + found["mm"].astype(float)
    minutes = minutes.where(found["sign"] != "-", -minutes).fillna(0.0)
    has = found["hh"].notna() | distinct.str.endswith("Z")
    by_tail = pd.Series(minutes.to_numpy(), index=distinct)
    zoned_by_tail = pd.Series(has.to_numpy(), index=distinct)
    return (
        tails.map(by_tail).to_numpy(dtype=float),
        tails.map(zoned_by_tail).to_numpy(dtype=bool),
    )


def read_order_log(path: str | Path) -> OrderLog:
    """Read and type a log, or raise :class:`OrderLogError` for the first malformed cell."""
    path = Path(path)
    raw, row_word, first_row = _read_raw(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        header = "line 1 (the header)" if row_word == "line" else "header"
        found = ", ".join(raw.columns) or "none"
        raise OrderLogError(path, header, f"missing column {missing[0]!r} (found: {found})")
    if raw.empty:
        raise OrderLogError(path, "file", "no orders (the log has a header but no rows)")
    text = {c: _as_text(raw[c]) for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in raw.columns}
    lines = np.arange(len(raw)) + first_row
    problems: list[tuple[int, int, str, str]] = []  # (row index, column order, column, problem)

    def problem(col: str, bad: np.ndarray, what: str) -> None:
        if bad.any():
            i = int(np.argmax(bad))
            order = list(text).index(col)
            problems.append((i, order, col, f"{what}, got {text[col].iloc[i]!r}"))

    for col, cells in text.items():
        if col not in MAY_BE_BLANK:
            problem(col, (cells == "").to_numpy(), "expected a value")
    out: dict[str, object] = {"line": lines}
    for col in TIME_COLUMNS:
        cells = text[col]
        blank = (cells == "").to_numpy()
        utc = pd.to_datetime(cells.where(~blank), utc=True, errors="coerce", format="ISO8601")
        problem(col, ~blank & utc.isna().to_numpy(), "expected an ISO-8601 time")
        minutes, zoned = _offset_minutes(cells)
        problem(col, ~blank & ~zoned, "expected a time with its UTC offset, like +01:00 or Z")
        out[col] = utc.reset_index(drop=True)
        out[f"{col}_offset_min"] = minutes
    for col in NUMBER_COLUMNS + ("items",):
        if col not in text:
            continue
        cells = text[col]
        blank = (cells == "").to_numpy()
        number = pd.to_numeric(cells.where(~blank), errors="coerce").to_numpy(dtype=float)
        problem(col, ~blank & np.isnan(number), "expected a number")
        if col == "items":
            fraction = ~np.isnan(number) & (number != np.round(number))
            problem(col, fraction, "expected a whole number")
        out[col] = number
    if "is_test" in text:
        word = text["is_test"].str.lower()
        problem("is_test", (~word.isin(TRUE_WORDS + FALSE_WORDS)).to_numpy(), "expected true/false")
        out["is_test"] = word.isin(TRUE_WORDS).to_numpy()
    for col in ("order_id", "region", "warehouse", "mode", "channel", "product_class"):
        if col in text:
            out[col] = text[col].to_numpy(dtype=object)
    for col in ("service_level", "status"):
        out[col] = text[col].str.lower().to_numpy(dtype=object)
    if problems:
        i, _, col, what = min(problems)
        raise OrderLogError(path, f"{row_word} {lines[i]}, column {col}", what)
    return OrderLog(path=path, frame=pd.DataFrame(out), row_word=row_word)
