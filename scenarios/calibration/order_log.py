"""The order-log format: read a company's order history (CSV, parquet or Excel) strictly.

One row per order. A file that is not in the format (a missing column, a date that cannot be
parsed, a word where a number belongs) is refused as a whole with :class:`OrderLogError`, naming
the line and column, because a half-read history would calibrate a wrong twin without a word.
Rows that parse but cannot be true (test orders, duplicates, impossible times) are a different
matter: :mod:`scenarios.calibration.quality` drops and counts them.

Times must be ISO-8601 with a UTC offset (``2026-01-05T09:30:00-05:00`` or ``...Z``). Each row's
own offset gives its local wall-clock time, which is what daily and weekly profiles are about; a
log's offsets must be one time zone's (at most a daylight-saving hour apart), or local hours would
shift without a word.

An order log is untrusted input: whatever its bytes, reading it ends in a typed log or in one
:class:`OrderLogError` line naming the file and the line (never a byte offset) and what was
expected; no cell is longer than :data:`MAX_CELL_CHARS`, and no time is outside
:data:`FIRST_YEAR`..:data:`LAST_YEAR`.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.calibration.reading import STATUSES, ReadOptions
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
STRAY_STATUS_ROWS, STRAY_STATUS_SHARE = 5, 0.01  # more rows of one unknown word: not a stray
TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f", "")
MAX_CELL_CHARS = 1_000  # a name or a time; a longer cell is a broken file, not an order
FIRST_YEAR, LAST_YEAR = 1990, 2100  # times outside are typos, and would stretch the fit for hours
MAX_OFFSET_SPREAD_MIN = 60.0  # daylight saving; more is a log mixing time zones
_NANS = ("nan", "+nan", "-nan")  # numbers, but not finite ones
SHOWN_CHARS = 60  # of a bad cell, in the one-line error
_TOKENIZER = re.compile(r"Expected (?P<want>\d+) fields in line (?P<line>\d+), saw (?P<saw>\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (?P<row>\d+)")
_OFFSET = re.compile(r"(?:Z|(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2}))$")


@dataclass(frozen=True)
class OrderLog:
    """A parsed log: typed columns, times in UTC, plus each time's local wall-clock offset."""

    path: Path
    frame: pd.DataFrame  # typed; ``line`` is where each row stands in the file
    row_word: str  # "line" (CSV) or "row" (Excel, parquet), as the user's tools count them


def shown(text: str) -> str:
    """A cell for a one-line error: its repr, cut to :data:`SHOWN_CHARS` characters."""
    if len(text) <= SHOWN_CHARS:
        return repr(text)
    return f"{text[:SHOWN_CHARS]!r}... ({len(text):,} characters)"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    first = text.splitlines()[0] if text else type(err).__name__
    return first if len(first) <= 200 else first[:200] + "..."


_ENCODING_NAMES = {"utf-8": "UTF-8"}


def _encoding_hint(encoding: str) -> str:
    if encoding == "utf-8":
        return "save the log as UTF-8, or name its encoding: --encoding latin-1 or cp1252"
    return "save the log as UTF-8, or name the encoding it was saved in with --encoding"


def _csv_text(path: Path, encoding: str = "utf-8") -> str:
    """The file as text in ``encoding`` (UTF-8 with or without a byte-order mark by default); a
    byte that is not in it, or a NUL, is named by its line."""
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise OrderLogError(path, "file", f"cannot be read ({_first_line(err)})") from None
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise OrderLogError(
            path,
            f"line {line}",
            f"expected {_ENCODING_NAMES.get(encoding, encoding)} text, got byte "
            f"0x{data[err.start]:02X} at character {column} ({_encoding_hint(encoding)})",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise OrderLogError(path, f"line {line}", "expected text, got a NUL byte (a binary file?)")
    return text


def _read_csv(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    text = _csv_text(path, encoding)
    if not text.strip():
        raise OrderLogError(path, "file", "expected a header line and orders, got an empty file")
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.ParserError as err:
        message = _first_line(err)
        fields = _TOKENIZER.search(message)
        if fields:
            raise OrderLogError(
                path,
                f"line {fields['line']}",
                f"expected {fields['want']} fields (as in the header), got {fields['saw']}",
            ) from None
        quote = _OPEN_QUOTE.search(message)
        if quote:
            raise OrderLogError(
                path, f"line {int(quote['row']) + 1}", 'expected a closing quote (") in this line'
            ) from None
        raise OrderLogError(path, "file", f"cannot be read as CSV ({message})") from None
    except (ValueError, MemoryError) as err:
        raise OrderLogError(path, "file", f"cannot be read as CSV ({_first_line(err)})") from None


def _read_raw(path: Path, encoding: str = "utf-8") -> tuple[pd.DataFrame, str, int]:
    """The file as text cells; returns the frame, the word for a row, and the first row's number."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".gz", ".parquet", ".pq", ".xlsx", ".xlsm", ".xls"):
        raise OrderLogError(path, "file", "expected a .csv, .parquet or .xlsx order log")
    if not path.is_file():
        raise OrderLogError(path, "file", "expected an existing file")
    if suffix in (".csv", ".txt", ".gz"):
        return _read_csv(path, encoding), "line", 2
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path), "row", 1
        raw = pd.read_excel(path, dtype=str, keep_default_na=False)
        return raw, "row", 2
    except Exception as err:  # noqa: BLE001 - an untrusted file: any reader failure is the file's
        kind = "parquet" if suffix in (".parquet", ".pq") else "Excel"
        raise OrderLogError(
            path, "file", f"cannot be read as {kind} ({type(err).__name__}: {_first_line(err)})"
        ) from None


def _as_text(column: pd.Series) -> pd.Series:
    """Cells as stripped strings, blanks as ""; parquet's typed columns are turned back to text."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.map(lambda t: None if pd.isna(t) else t.isoformat())
    cells = column.astype(object)
    # None, NaN, and the nullable dtypes' pd.NA / NaT (parquet's Int64 'items' with gaps)
    blank = cells.map(
        lambda v: v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))
    )
    return cells.where(~blank.astype(bool), "").map(str).str.strip()


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


def _hhmm(minutes: float) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{int(abs(minutes)) // 60:02d}:{int(abs(minutes)) % 60:02d}"


def _refuse(
    path: Path, row_word: str, lines: np.ndarray, problems: list[tuple[int, int, str, str]]
) -> None:
    """Raise the first problem in file order (then column order)."""
    i, _, col, what = min(problems)
    raise OrderLogError(path, f"{row_word} {lines[i]}, column {col}", what)


def _as_iso(cells: pd.Series, time_format: str) -> pd.Series:
    """Cells written in the user's ``--time-format`` rewritten as ISO-8601 (an offset the pattern
    reads with ``%z`` kept); a cell that does not match stays as written, so it is named."""
    filled = (cells != "").to_numpy()
    parsed = pd.to_datetime(cells.where(filled), format=time_format, errors="coerce")
    if parsed.dtype == object or isinstance(parsed.dtype, pd.DatetimeTZDtype):  # offsets kept
        iso = parsed.map(lambda t: None if pd.isna(t) else t.isoformat())
    else:
        iso = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S")
    return cells.where(~filled | parsed.isna().to_numpy(), iso)


def _unparsed_message(options: ReadOptions) -> str:
    if options.time_format is None:
        return (
            "expected an ISO-8601 time (or give the log's pattern with --time-format, "
            "e.g. --time-format '%m/%d/%Y %H:%M')"
        )
    example = datetime(2018, 1, 31, 22, 56).strftime(options.time_format)
    return f"expected a time in --time-format {options.time_format!r} (like {example!r})"


def _local_times(
    cells: pd.Series, naive: np.ndarray, options: ReadOptions
) -> tuple[pd.Series, np.ndarray]:
    """Offset-less cells read as wall time in ``--timezone``: UTC times and offsets in minutes.

    An hour that occurs twice (clocks going back) is read as standard time, since an offset-less
    log cannot say which; one that never occurs (clocks going forward) is moved to the first
    valid instant after it.
    """
    n = len(cells)
    utc = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns, UTC]")
    minutes = np.zeros(n)
    zone = options.zone
    if zone is None or not naive.any():
        return utc, minutes
    wall = pd.to_datetime(cells.where(naive), errors="coerce", format="ISO8601")
    if isinstance(wall.dtype, pd.DatetimeTZDtype):  # every cell had an offset after all
        return utc, minutes
    local = wall.dt.tz_localize(
        zone, ambiguous=np.zeros(n, dtype=bool), nonexistent="shift_forward"
    )
    as_utc = local.dt.tz_convert("UTC")
    offset = (local.dt.tz_localize(None) - as_utc.dt.tz_localize(None)) / pd.Timedelta(minutes=1)
    return as_utc, offset.to_numpy(dtype=float, na_value=0.0)


def _refuse_foreign_statuses(
    path: Path, row_word: str, lines: np.ndarray, status: pd.Series
) -> None:
    """A status word on more than a few rows is the log's own vocabulary, not a stray typo:
    dropping those rows would quietly change the history, so the user must map it."""
    foreign = status[~status.isin(STATUSES)]
    if foreign.empty:
        return
    counts = foreign.value_counts()
    common = counts[counts > max(STRAY_STATUS_ROWS, STRAY_STATUS_SHARE * len(status))]
    if common.empty:
        return
    word = str(common.index[0])
    i = int((status == word).to_numpy().argmax())
    listed = ", ".join(f"{w!r} ({c:,} rows)" for w, c in common.items())
    raise OrderLogError(
        path,
        f"{row_word} {lines[i]}, column status",
        f"expected {', '.join(STATUSES)}, got {listed}; say what they mean with --status-map "
        f"{word}=open (or delivered, cancelled)",
    )


def read_order_log(path: str | Path, options: ReadOptions | None = None) -> OrderLog:
    """Read and type a log, or raise :class:`OrderLogError` for the first malformed cell."""
    path = Path(path)
    options = options or ReadOptions()
    raw, row_word, first_row = _read_raw(path, options.encoding)
    raw.columns = [str(c).strip() for c in raw.columns]
    header = "line 1 (the header)" if row_word == "line" else "header"
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        found = shown(", ".join(raw.columns)) if len(raw.columns) else "none"
        raise OrderLogError(path, header, f"missing column {missing[0]!r} (found: {found})")
    twice = raw.columns[raw.columns.duplicated()]
    if len(twice):
        raise OrderLogError(path, header, f"expected each column once, got {twice[0]!r} twice")
    if raw.empty:
        raise OrderLogError(path, "file", "no orders (the log has a header but no rows)")
    text = {c: _as_text(raw[c]) for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in raw.columns}
    lines = np.arange(len(raw)) + first_row
    problems: list[tuple[int, int, str, str]] = []  # (row index, column order, column, problem)

    def problem(col: str, bad: np.ndarray, what: str) -> None:
        if bad.any():
            i = int(np.argmax(bad))
            order = list(text).index(col)
            problems.append((i, order, col, f"{what}, got {shown(text[col].iloc[i])}"))

    for col, cells in text.items():
        if col not in MAY_BE_BLANK:
            problem(col, (cells == "").to_numpy(), "expected a value")
        problem(
            col,
            (cells.str.len() > MAX_CELL_CHARS).to_numpy(),
            f"expected at most {MAX_CELL_CHARS:,} characters",
        )
    if problems:  # a huge or empty cell first: the checks below would only echo it
        _refuse(path, row_word, lines, problems)
    first_offset: float | None = None
    out: dict[str, object] = {"line": lines}
    for col in TIME_COLUMNS:
        cells = text[col]
        if options.time_format is not None:
            cells = _as_iso(cells, options.time_format)
        blank = (cells == "").to_numpy()
        minutes, zoned = _offset_minutes(cells)
        naive = ~blank & ~zoned if options.zone is not None else np.zeros(len(cells), dtype=bool)
        utc = pd.to_datetime(
            cells.where(~blank & ~naive), utc=True, errors="coerce", format="ISO8601"
        )
        local_utc, local_minutes = _local_times(cells, naive, options)
        utc = utc.where(~naive, local_utc)
        minutes = np.where(naive, local_minutes, minutes)
        zoned = zoned | naive
        unparsed = ~blank & utc.isna().to_numpy()
        problem(col, unparsed, _unparsed_message(options))  # the cell as written is shown
        year = utc.dt.year.to_numpy(dtype=float, na_value=np.nan)
        far = ~blank & ~unparsed & ((year < FIRST_YEAR) | (year > LAST_YEAR))
        problem(col, far, f"expected a time in the years {FIRST_YEAR}-{LAST_YEAR}")
        problem(
            col,
            ~blank & ~unparsed & ~zoned,
            "expected a time with its UTC offset, like +01:00 or Z (or name the log's time zone "
            "with --timezone, e.g. --timezone America/Sao_Paulo)",
        )
        if first_offset is None:  # created_at's first row: the log's time zone
            first_offset = float(minutes[0])
        off = ~blank & zoned & (np.abs(minutes - first_offset) > MAX_OFFSET_SPREAD_MIN)
        problem(
            col,
            off,
            f"expected the log's one UTC offset ({_hhmm(first_offset)} on its first line, give or "
            "take a daylight-saving hour; convert the log to one time zone)",
        )
        out[col] = utc.reset_index(drop=True)
        out[f"{col}_offset_min"] = minutes
    for col in NUMBER_COLUMNS + ("items",):
        if col not in text:
            continue
        cells = text[col]
        blank = (cells == "").to_numpy()
        number = pd.to_numeric(cells.where(~blank), errors="coerce").to_numpy(dtype=float)
        word = ~blank & np.isnan(number) & ~cells.str.lower().isin(_NANS).to_numpy()
        problem(col, word, "expected a number")
        problem(col, ~blank & ~word & ~np.isfinite(number), "expected a finite number")
        if col == "items":
            fraction = ~np.isnan(number) & (number != np.round(number))
            problem(col, fraction, "expected a whole number")
        if col in NUMBER_COLUMNS:
            number = number * options.usd_per_unit  # the twin's money is US dollars
        out[col] = number
    if "is_test" in text:
        word = text["is_test"].str.lower()
        problem("is_test", (~word.isin(TRUE_WORDS + FALSE_WORDS)).to_numpy(), "expected true/false")
        out["is_test"] = word.isin(TRUE_WORDS).to_numpy()
    for col in ("order_id", "region", "warehouse", "mode", "channel", "product_class"):
        if col in text:
            out[col] = text[col].to_numpy(dtype=object)
    out["service_level"] = text["service_level"].str.lower().to_numpy(dtype=object)
    status = text["status"].str.lower()
    status = status.map(lambda w: options.status_map.get(w, w))
    out["status"] = status.to_numpy(dtype=object)
    if problems:
        _refuse(path, row_word, lines, problems)
    _refuse_foreign_statuses(path, row_word, lines, status.reset_index(drop=True))
    return OrderLog(path=path, frame=pd.DataFrame(out), row_word=row_word)
