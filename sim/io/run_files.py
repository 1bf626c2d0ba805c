"""Write a run's records into its run dir: orders.parquet, timeseries.parquet, kpis.json.

Files are written under temporary names in the run dir and renamed into place, ``kpis.json`` last:
a run dir with a ``kpis.json`` is complete, an interrupted run never leaves a file that looks
finished, and a failed or interrupted write leaves no temporary file. Nothing is written through a
symbolic link planted in the run dir.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine import RunResult
from sim.engine.sink import OrderSink, TeeOrders
from sim.io.files import json_safe
from sim.io.order_sink import ParquetOrders, sorted_dictionary
from sim.io.safe import make_dirs, temp_path

ORDERS_FILE = "orders.parquet"
TIMESERIES_FILE = "timeseries.parquet"
KPIS_FILE = "kpis.json"


def timeseries_frame(result: RunResult) -> pa.Table:
    """Long format: one row per (time, warehouse or mode); ``kind`` says which. Warehouse rows
    leave the mode columns NaN and mode rows the warehouse columns (as a pandas concat would)."""
    wh, modes = result.warehouse_series, result.mode_series
    n_wh, n_mode = len(wh["time_h"]), len(modes["time_h"])
    columns: dict[str, pa.Array] = {
        "time_h": pa.array(np.concatenate([wh["time_h"], modes["time_h"]]).astype(np.float64)),
        "kind": _names(np.array(["warehouse"] * n_wh + ["mode"] * n_mode, dtype=object)),
        "name": _names(np.concatenate([wh["warehouse"], modes["mode"]])),
    }
    for key, values in wh.items():
        if key not in ("time_h", "warehouse"):
            columns[key] = pa.array(_padded(values, 0, n_mode), from_pandas=False)
    for key in ("shipped", "in_transit"):
        columns[key] = pa.array(_padded(modes[key], n_wh, 0), from_pandas=False)
    return pa.table(columns)


def _padded(values: np.ndarray, before: int, after: int) -> np.ndarray:
    nan = np.full(before + len(values) + after, np.nan)
    nan[before : before + len(values)] = values
    return nan


def _names(values: np.ndarray) -> pa.DictionaryArray:
    return sorted_dictionary(pa.array(values, type=pa.string()).dictionary_encode())


def withdraw_kpis(out_dir: str | Path) -> None:
    """Remove a ``kpis.json`` left in the run dir by an earlier run: a new run in the same folder
    (a fixed ``hydra.run.dir`` or sweep dir) withdraws the claim that the folder holds a finished
    run until it writes its own, so an interrupted or failed rerun never shows the old KPIs as its
    own (a link is removed, never followed)."""
    Path(out_dir, KPIS_FILE).unlink(missing_ok=True)


def write_run(result: RunResult, out_dir: str | Path) -> Path:
    """Write the run files; returns the run dir. ``orders.parquet`` from ``result.orders`` when
    the run collected them (a streamed run wrote it already: :func:`streamed_orders`)."""
    out = make_dirs(Path(out_dir))
    kpis = json.dumps({k: json_safe(v) for k, v in result.kpis.items()}, indent=2) + "\n"
    # renamed in reverse order of entry when the block ends: orders, time series, kpis.json last
    with contextlib.ExitStack() as files:
        tmp_kpis = files.enter_context(temp_path(out / KPIS_FILE, out))
        tmp_ts = files.enter_context(temp_path(out / TIMESERIES_FILE, out))
        if result.orders:
            orders = ParquetOrders(files.enter_context(temp_path(out / ORDERS_FILE, out)))
            orders.write(result.orders)
            orders.close()
        pq.write_table(timeseries_frame(result), tmp_ts, compression="zstd")
        tmp_kpis.write_text(kpis)
    return out


@contextlib.contextmanager
def streamed_orders(out_dir: str | Path, export: str, sample_every: int) -> Iterator[OrderSink]:
    """A sink for the run's records as ``export.orders`` says: ``full`` (every order) or
    ``sample`` (every ``sample_every``-th) into ``orders.parquet``, renamed into place when the
    block ends (before :func:`write_run` writes ``kpis.json``); ``none``: no file."""
    out = make_dirs(Path(out_dir))
    if export == "none":
        yield TeeOrders()
        return
    with temp_path(out / ORDERS_FILE, out) as tmp:
        sink = ParquetOrders(tmp, sample_every if export == "sample" else 1)
        yield sink
        sink.close()
