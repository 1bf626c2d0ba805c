"""The state snapshot on disk: a folder of parquet tables and a small JSON manifest.

The format (``docs/snapshot.md``, version :data:`FORMAT_VERSION`) holds what an order-management
system knows at one instant — the engine's :class:`~sim.engine.snapshot_state.SnapshotState`,
with the world's indices turned into names so that a real system can write the same files. This
module defines the tables and writes them; :mod:`sim.io.snapshot_read` reads and checks them.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.world import World
from sim.engine.snapshot_state import (
    BOOKING_COLUMNS,
    FORECAST_COLUMNS,
    ORDER_COLUMNS,
    PICKER_COLUMNS,
    RECEIPT_COLUMNS,
    STAGES,
    STOCK_COLUMNS,
    STORM_COLUMNS,
    SnapshotState,
)
from sim.io.safe import make_dirs, temp_path, write_text

FORMAT_NAME = "ordertwin-snapshot"
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
SNAPSHOT_DIR = "snapshot"  # the folder a run writes it to, in its run dir

# table -> (file, its columns in the engine's terms)
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "orders": ("orders.parquet", ORDER_COLUMNS),
    "stock": ("stock.parquet", STOCK_COLUMNS),
    "receipts": ("receipts.parquet", RECEIPT_COLUMNS),
    "pickers": ("pickers.parquet", PICKER_COLUMNS),
    "bookings": ("bookings.parquet", BOOKING_COLUMNS),
    "forecasts": ("forecasts.parquet", FORECAST_COLUMNS),
    "storms": ("storms.parquet", STORM_COLUMNS),
}
# columns holding a name of the world's tables on disk (an index in the engine); "" = none yet
NAMED = {
    "region": "regions",
    "warehouse": "warehouses",
    "mode": "modes",
    "product": "product classes",
    "channel": "channels",
    "service_level": "service levels",
    "stage": "stages",
}
# on disk, the product column is called what the order log calls it
DISK_NAME = {"product": "product_class"}


def world_names(world: World) -> dict[str, tuple[str, ...]]:
    """Per named column, the names its indices stand for in ``world``."""
    return {
        "region": world.regions,
        "warehouse": tuple(w.name for w in world.warehouses),
        "mode": tuple(m.name for m in world.modes),
        "product": world.product_classes,
        "channel": world.channels,
        "service_level": world.level_names,
        "stage": STAGES,
    }


def snapshot_date(world: World, snapshot_h: float) -> str:
    """The snapshot's local date and time (to the second) from the scenario's ``start_date``."""
    start = datetime.datetime.combine(world.start_date, datetime.time(0))
    return (start + datetime.timedelta(seconds=round(snapshot_h * 3600.0))).isoformat()


def write_snapshot(
    state: SnapshotState, world: World, seed: int, out_dir: str | Path, root: Path | None = None
) -> Path:
    """Write ``state`` as a snapshot folder ``out_dir`` (tables first, the manifest last: a folder
    with a manifest is complete); returns the folder."""
    folder = make_dirs(Path(out_dir), root)
    names = world_names(world)
    for table, (file_name, columns) in TABLES.items():
        values: Mapping[str, np.ndarray] = getattr(state, table)
        arrays = {DISK_NAME.get(c, c): _on_disk(c, values[c], names) for c in columns}
        with temp_path(folder / file_name, root) as tmp:
            pq.write_table(pa.table(arrays), tmp)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "snapshot_h": state.snapshot_h,
        "snapshot_at": snapshot_date(world, state.snapshot_h),
        "start_date": world.start_date.isoformat(),
        "scenario": world.name,
        "seed": int(seed),
        "stock_synced_h": state.stock_synced_h,
        "tables": {t: f for t, (f, _) in TABLES.items()},
    }
    write_text(folder / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n", root)
    return folder


def _on_disk(column: str, values: np.ndarray, names: Mapping[str, tuple[str, ...]]) -> pa.Array:
    """A column as written: names for indices ("" for -1, not yet routed), the rest as is."""
    if column in NAMED:
        table = np.asarray([*names[column], ""], dtype=object)  # index -1 -> ""
        return pa.array(table[np.asarray(values, dtype=np.int64)], type=pa.string())
    return pa.array(np.asarray(values))
