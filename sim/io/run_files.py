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

import pandas as pd

from sim.engine import RunResult
from sim.engine.sink import OrderSink, TeeOrders
from sim.io.files import json_safe
from sim.io.order_sink import ParquetOrders
from sim.io.safe import make_dirs, temp_path

ORDERS_FILE = "orders.parquet"
TIMESERIES_FILE = "timeseries.parquet"
KPIS_FILE = "kpis.json"


def timeseries_frame(result: RunResult) -> pd.DataFrame:
    """Long format: one row per (time, warehouse or mode); ``kind`` says which."""
    wh = pd.DataFrame(result.warehouse_series).rename(columns={"warehouse": "name"})
    wh.insert(1, "kind", "warehouse")
    modes = pd.DataFrame(result.mode_series).rename(columns={"mode": "name"})
    modes.insert(1, "kind", "mode")
    frame = pd.concat([wh, modes], ignore_index=True)
    frame["kind"] = frame["kind"].astype("category")
    frame["name"] = frame["name"].astype("category")
    return frame


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
        timeseries_frame(result).to_parquet(tmp_ts, index=False, compression="zstd")
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
