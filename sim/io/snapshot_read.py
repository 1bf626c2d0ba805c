"""Read and check a state snapshot folder (simulated or from a real system) against a world.

A snapshot comes from outside and is untrusted: it is read as data only (JSON, and parquet
through pyarrow without pandas metadata), no symbolic link is followed, and every problem ends
in one :class:`~scenarios.errors.SnapshotError` naming the file, row and column and what was
expected — a missing column, an unknown stage, a negative or future time, a warehouse, region or
mode the scenario does not have, the wrong format version. Extra columns are ignored.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.errors import SnapshotError
from scenarios.world import World
from sim.engine.snapshot_state import STAGE_CODE, SnapshotState
from sim.io.safe import NAME
from sim.io.snapshot import (
    DISK_NAME,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_FILE,
    NAMED,
    TABLES,
    world_names,
)

MAX_MANIFEST_BYTES = 64 * 1024
MAX_TABLE_BYTES = 4 * 1024**3  # a snapshot of millions of open orders stays far below
# columns that are booleans, counts and times (the rest of a table's numbers are reals)
BOOLEAN = {"vip", "urgent", "backordered", "prioritised", "expedited"}
COUNTS = {
    "order_id",
    "items",
    "reroutes",
    "synced_units",
    "on_order_units",
    "units",
    "pickers_on_shift",
    "pickers_busy",
    "backlog",
    "shipped_today",
    "daily_capacity",
}
SIGNED = {"allocated_since_sync"}  # net of units put back: may be below 0
# times of an order's steps, each NaN until reached; a stage needs the ones listed for it
STEP_TIMES = ("routed_h", "queued_h", "pick_start_h", "picked_h", "shipped_h", "reshipped_h")
NEEDS_TIME = {"queued": "queued_h", "picking": "pick_start_h", "at_dock": "picked_h"}
NEEDS_TIME["in_transit"] = "shipped_h"
ROUTED_STAGES = {"backordered", "queued", "picking", "at_dock", "in_transit"}


@dataclass(frozen=True)
class Snapshot:
    """A checked snapshot: its manifest and the state in the world's indices."""

    path: Path
    scenario: str
    seed: int
    snapshot_at: str
    state: SnapshotState


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The checked manifest of the snapshot folder ``folder``."""
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    raw = _read_bytes(path, MAX_MANIFEST_BYTES, "the snapshot's manifest")
    try:
        manifest = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise SnapshotError(path, "", f"expected a JSON object ({err})") from None
    if not isinstance(manifest, dict):
        raise SnapshotError(path, "", "expected a JSON object")
    if manifest.get("format") != FORMAT_NAME:
        raise SnapshotError(
            path, "format", f"expected {FORMAT_NAME!r}, got {manifest.get('format')!r}"
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise SnapshotError(
            path, "format_version", f"expected {FORMAT_VERSION} (this ordertwin), got {version!r}"
        )
    snapshot_h: Any = manifest.get("snapshot_h")
    if not _real(snapshot_h) or snapshot_h < 0:
        raise SnapshotError(path, "snapshot_h", f"expected hours >= 0, got {snapshot_h!r}")
    synced: Any = manifest.get("stock_synced_h")
    if not _real(synced) or not 0 <= synced <= snapshot_h:
        raise SnapshotError(
            path, "stock_synced_h", f"expected hours in [0, snapshot_h], got {synced!r}"
        )
    scenario = manifest.get("scenario")
    if not isinstance(scenario, str) or not NAME.fullmatch(scenario):
        raise SnapshotError(path, "scenario", f"expected a scenario name, got {scenario!r}")
    seed = manifest.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise SnapshotError(path, "seed", f"expected an integer >= 0, got {seed!r}")
    if not isinstance(manifest.get("snapshot_at", ""), str):
        raise SnapshotError(path, "snapshot_at", "expected a local date and time as text")
    return manifest


def read_snapshot(folder: str | Path, world: World) -> Snapshot:
    """Read the snapshot folder ``folder`` and check every table against ``world``."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    names = world_names(world)
    now = float(manifest["snapshot_h"])
    tables = {t: _read_table(folder / f, cols, names) for t, (f, cols) in TABLES.items()}
    _check_orders(folder / TABLES["orders"][0], tables["orders"], world, now)
    _check_rest(folder, tables, world, now)
    state = SnapshotState(
        snapshot_h=now,
        stock_synced_h=float(manifest["stock_synced_h"]),
        **tables,
    )
    return Snapshot(
        folder, manifest["scenario"], manifest["seed"], manifest.get("snapshot_at", ""), state
    )


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _read_bytes(path: Path, limit: int, what: str) -> bytes:
    _check_file(path, limit, what)
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _check_file(path: Path, limit: int, what: str) -> None:
    """A regular file (not a link, not a device) of at most ``limit`` bytes."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise SnapshotError(path, "", f"expected {what}, found no file") from None
    if stat.S_ISLNK(info.st_mode):
        raise SnapshotError(path, "", "expected a real file, got a symbolic link (not followed)")
    if not stat.S_ISREG(info.st_mode):
        raise SnapshotError(path, "", "expected a regular file")
    if info.st_size > limit:
        raise SnapshotError(path, "", f"expected at most {limit:,} bytes, got {info.st_size:,}")


def _read_table(
    path: Path, columns: tuple[str, ...], names: Mapping[str, tuple[str, ...]]
) -> dict[str, np.ndarray]:
    """One table's columns, typed and named columns turned into the world's indices."""
    _check_file(path, MAX_TABLE_BYTES, "a parquet table")
    try:
        table = pq.read_table(path, use_pandas_metadata=False)
    except (pa.ArrowException, OSError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SnapshotError(path, "", f"expected a parquet table ({first})") from None
    found = set(table.column_names)
    out: dict[str, np.ndarray] = {}
    for column in columns:
        disk = DISK_NAME.get(column, column)
        if disk not in found:
            raise SnapshotError(path, "header", f"missing column {disk!r}")
        out[column] = _column(path, disk, table.column(disk), column, names)
    return out


def _column(
    path: Path,
    disk: str,
    values: pa.ChunkedArray,
    column: str,
    names: Mapping[str, tuple[str, ...]],
) -> np.ndarray:
    kind = values.type
    if column in NAMED:
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise SnapshotError(path, f"column {disk}", f"expected names (text), got {kind}")
        text = np.asarray(values.to_pylist(), dtype=object)
        known = {name: i for i, name in enumerate(names[column])}
        optional = column in ("warehouse", "mode")
        index = np.empty(len(text), dtype=np.int64)
        for row, name in enumerate(text.tolist()):
            if (name is None or name == "") and optional:
                index[row] = -1
            elif name in known:
                index[row] = known[name]
            else:
                listed = ", ".join(names[column])
                _fail(
                    path,
                    row,
                    disk,
                    f"expected one of the scenario's {NAMED[column]} ({listed})",
                    name,
                )
        return index
    if values.null_count and (column in BOOLEAN or column in COUNTS or column in SIGNED):
        row = int(np.flatnonzero(np.asarray(values.is_null()))[0])
        _fail(path, row, disk, "expected a value", None)
    if column in BOOLEAN:
        if not pa.types.is_boolean(kind):
            raise SnapshotError(path, f"column {disk}", f"expected true/false, got {kind}")
        return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)
    if column in COUNTS or column in SIGNED:
        if not pa.types.is_integer(kind):
            raise SnapshotError(path, f"column {disk}", f"expected integers, got {kind}")
        ints = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)
        if column in COUNTS and (ints < 0).any():
            row = int(np.flatnonzero(ints < 0)[0])
            _fail(path, row, disk, "expected an integer >= 0", int(ints[row]))
        return ints
    if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        raise SnapshotError(path, f"column {disk}", f"expected numbers, got {kind}")
    reals = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.where(np.asarray(values.is_null()), np.nan, reals) if values.null_count else reals


def _fail(path: Path, row: int, column: str, expected: str, got: object) -> NoReturn:
    """Raise for ``row`` (0-based; shown 1-based, as a data row of the table)."""
    raise SnapshotError(path, f"row {row + 1}, column {column}", f"{expected}, got {got!r}")


def _first(path: Path, bad: np.ndarray, column: str, values: np.ndarray, expected: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        got = values[row].item() if hasattr(values[row], "item") else values[row]
        _fail(path, row, column, f"expected {expected}", got)


def _check_orders(path: Path, o: dict[str, np.ndarray], world: World, now: float) -> None:
    """Each open order's values, times and stage agree with each other and with the world."""
    ids = o["order_id"]
    again = _repeated(ids.reshape(-1, 1))
    _first(path, again, "order_id", ids, "each order once (a second row of it)")
    created = o["created_h"]
    _first(path, ~np.isfinite(created) | (created < 0), "created_h", created, "hours >= 0")
    _first(path, created > now, "created_h", created, f"hours <= the snapshot's {now}")
    promised = o["promised_h"]
    _first(path, ~(promised >= created), "promised_h", promised, "hours >= created_h")
    _first(path, o["items"] < 1, "items", o["items"], "an integer >= 1")
    for name in ("value_usd", "margin_usd", "signal"):
        _first(path, ~np.isfinite(o[name]), name, o[name], "a finite number")
    for name in STEP_TIMES:
        t = o[name]
        _first(path, np.isinf(t) | (t < 0), name, t, "hours >= 0 or empty")
        _first(path, t < created, name, t, "hours >= created_h or empty")
        _first(path, t > now, name, t, f"hours <= the snapshot's {now} or empty")
    stage = o["stage"]
    for stage_name, time_name in NEEDS_TIME.items():
        bad = (stage == STAGE_CODE[stage_name]) & np.isnan(o[time_name])
        _first(path, bad, time_name, o[time_name], f"the hour a {stage_name} order got there")
    routed = np.isin(stage, [STAGE_CODE[s] for s in ROUTED_STAGES])
    _first(path, routed & (o["warehouse"] < 0), "warehouse", o["warehouse"], "a warehouse")
    _first(path, routed & (o["mode"] < 0), "mode", o["mode"], "a mode")
    serves = world.zone[o["region"], np.maximum(o["warehouse"], 0)] > 0
    bad = (o["warehouse"] >= 0) & ~serves
    _first(path, bad, "warehouse", o["warehouse"], "a warehouse that serves the order's region")


def _check_rest(
    folder: Path, tables: Mapping[str, dict[str, np.ndarray]], world: World, now: float
) -> None:
    """Stock, purchase orders, pickers, bookings and forecasts: one row per key, times sensible."""
    n_wh, n_prod, n_modes = len(world.warehouses), len(world.product_classes), len(world.modes)
    _once(folder / TABLES["stock"][0], tables["stock"], ("warehouse", "product"), n_wh * n_prod)
    _once(folder / TABLES["pickers"][0], tables["pickers"], ("warehouse",), n_wh)
    _once(folder / TABLES["bookings"][0], tables["bookings"], ("warehouse", "mode"), n_wh * n_modes)
    receipts = tables["receipts"]
    path = folder / TABLES["receipts"][0]
    due = receipts["due_h"]
    _first(path, ~np.isfinite(due) | (due < now), "due_h", due, f"hours >= the snapshot's {now}")
    _first(path, receipts["units"] < 1, "units", receipts["units"], "an integer >= 1")
    f = tables["forecasts"]
    path = folder / TABLES["forecasts"][0]
    issued = f["issued_h"]
    _first(path, ~np.isfinite(issued) | (issued > now), "issued_h", issued, f"hours <= {now}")
    _first(path, ~np.isfinite(f["start_h"]), "start_h", f["start_h"], "a finite hour")
    _first(path, ~(f["end_h"] >= f["start_h"]), "end_h", f["end_h"], "hours >= start_h")
    sev = f["severity"]
    _first(path, ~np.isfinite(sev) | (sev < 0), "severity", sev, "a severity >= 0")
    st = tables["storms"]
    path = folder / TABLES["storms"][0]
    start = st["start_h"]
    _first(path, ~np.isfinite(start) | (start > now), "start_h", start, f"hours <= {now}")
    end = st["end_h"]
    bad = ~np.isnan(end) & ((end < start) | (end > now))
    _first(path, bad, "end_h", end, "hours in [start_h, the snapshot], or empty (ongoing)")
    sev = st["severity"]
    _first(path, ~np.isfinite(sev) | (sev < 0), "severity", sev, "a severity >= 0")


def _once(path: Path, table: Mapping[str, np.ndarray], keys: tuple[str, ...], n: int) -> None:
    """Every combination of ``keys`` in exactly one row (all ``n`` of them)."""
    rows = np.stack([table[k] for k in keys], axis=1)
    again = _repeated(rows)
    _first(
        path,
        again,
        DISK_NAME.get(keys[-1], keys[-1]),
        rows[:, -1],
        f"one row per {' and '.join(keys)} (a second)",
    )
    if len(rows) != n:
        raise SnapshotError(
            path, "file", f"expected one row per {' and '.join(keys)} ({n} rows), got {len(rows)}"
        )


def _repeated(rows: np.ndarray) -> np.ndarray:
    """Per row: True if an earlier row has the same values."""
    again = np.ones(len(rows), dtype=bool)
    if len(rows):
        _, first = np.unique(rows, axis=0, return_index=True)
        again[first] = False
    return again
