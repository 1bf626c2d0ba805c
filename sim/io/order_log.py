"""Write a run's orders as an order log, the format ``ordertwin-calibrate`` reads.

The history generator of the calibration round trip: a run of known parameters becomes a log in
wall-clock time, every timestamp with its UTC offset, optionally contaminated the way real logs
are (test orders placed by QA in office hours, rows written twice), so that calibration can be
checked against the truth. Hour 0 of the run is ``export.start`` (default: the scenario's
``start_date`` at 00:00) in ``export.time_zone``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.order_log import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from sim.engine import RunResult
from sim.io.safe import make_dirs, temp_path

ORDER_LOG_STEM = "order_log"
TEST_ORDER_HOURS = (10.0, 12.0)  # QA places its test orders on weekdays in this window (local)
TEST_ORDER_VALUE_USD = 1.0


def iso_times(hours: np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """ISO-8601 local times with offset (``2026-01-05T09:30:00-05:00``); "" for NaN hours."""
    hours = np.asarray(hours, dtype=float)
    start_utc = start.tz_convert("UTC").tz_localize(None).to_datetime64().astype("datetime64[s]")
    seconds = np.floor(np.nan_to_num(hours) * 3600.0).astype(np.int64)
    utc = start_utc + seconds.astype("timedelta64[s]")
    local = pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert(start.tz).tz_localize(None)
    local_s = local.to_numpy().astype("datetime64[s]")
    offset_min = ((local_s - utc) // np.timedelta64(60, "s")).astype(np.int64)
    zones, which = np.unique(offset_min, return_inverse=True)
    suffix = np.array(
        [f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in zones.tolist()]
    )[which]
    text = np.char.add(np.datetime_as_string(local_s, unit="s"), suffix).astype(object)
    text[np.isnan(hours)] = ""
    return text


def _test_orders(orders: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> dict:
    """QA's test orders: office hours on weekdays, one region, a token value, then cancelled."""
    horizon_days = int(np.ceil(np.nanmax(orders["created_h"]) / 24.0)) or 1
    weekdays = np.array([d for d in range(horizon_days) if d % 7 < 5] or [0])
    lo, hi = TEST_ORDER_HOURS
    created = rng.choice(weekdays, n) * 24.0 + lo + rng.random(n) * (hi - lo)
    template = rng.integers(0, len(orders["created_h"]), n)
    promise = orders["promised_h"][template] - orders["created_h"][template]
    blank = np.full(n, np.nan)
    return {
        "order_id": np.array([f"TEST-{i:06d}" for i in range(n)], dtype=object),
        "created_h": created,
        "region": np.full(n, orders["region"][0], dtype=object),
        "value": np.full(n, TEST_ORDER_VALUE_USD),
        "service_level": orders["service_level"][template],
        "promised_h": created + promise,
        "warehouse": orders["warehouse"][template],
        "mode": orders["mode"][template],
        "shipped_h": blank,
        "delivered_h": blank,
        "status": np.full(n, "cancelled", dtype=object),
        "items": np.ones(n, dtype=np.int64),
        "margin": np.zeros(n),
        "channel": orders["channel"][template],
        "product_class": orders["product_class"][template],
        "cost": np.zeros(n),
        "is_test": np.ones(n, dtype=bool),
    }


def as_of(orders: Mapping[str, np.ndarray], end_h: float) -> dict[str, np.ndarray]:
    """The orders as a log extracted at ``end_h`` shows them: the run records each order's whole
    life (its cohort resolves in the cool-down), a log only what happened by then — later
    shipments, deliveries and cancellations blank, those orders open. The cost stays the order's
    whole-life fulfilment cost."""
    out = dict(orders)
    later = {k: orders[k] > end_h for k in ("shipped_h", "delivered_h", "cancelled_h")}
    for k in ("shipped_h", "delivered_h", "cancelled_h"):
        out[k] = np.where(later[k], np.nan, orders[k])
    status = orders["status"].copy()
    status[(status == "delivered") & later["delivered_h"]] = "open"
    status[(status == "cancelled") & later["cancelled_h"]] = "open"
    out["status"] = status
    return out


def order_log_frame(
    orders: Mapping[str, np.ndarray], export: Mapping[str, Any], seed: int
) -> pd.DataFrame:
    """The run's orders as log rows (plus test orders and duplicates, if asked for)."""
    rng = np.random.default_rng([seed, 0x10C])  # its own stream: the run's draws are untouched
    n = len(orders["created_h"])
    columns: dict[str, Any] = {
        "order_id": np.char.add("O", np.char.zfill(orders["order_id"].astype(str), 7)),
        **{k: orders[k] for k in ("created_h", "region", "service_level", "promised_h")},
        **{k: orders[k] for k in ("warehouse", "mode", "shipped_h", "delivered_h", "status")},
        **{k: orders[k] for k in ("items", "channel", "product_class")},
        "value": np.round(orders["value"], 2),
        "margin": np.round(orders["margin"], 2),
        "cost": np.round(orders["cost"], 2),
        "is_test": np.zeros(n, dtype=bool),
    }
    rows = pd.DataFrame(columns)
    n_test = int(round(float(export["test_order_p"]) * n))
    if n_test:
        rows = pd.concat([rows, pd.DataFrame(_test_orders(orders, n_test, rng))])
    n_dup = int(round(float(export["duplicate_p"]) * n))
    if n_dup:
        rows = pd.concat([rows, rows.iloc[rng.integers(0, n, n_dup)]])
    rows = rows.sort_values("created_h", kind="stable").reset_index(drop=True)
    start = pd.Timestamp(export["start"]).tz_localize(export["time_zone"])
    for name in ("created", "promised", "shipped", "delivered"):
        rows[f"{name}_at"] = iso_times(rows.pop(f"{name}_h").to_numpy(), start)
    return rows[list(REQUIRED_COLUMNS) + list(OPTIONAL_COLUMNS)]


def hour_zero(export: Mapping[str, Any], start_date: str) -> str:
    """The log's local wall time of hour 0: ``export.start``, else the scenario's start date."""
    return str(export.get("start") or f"{start_date}T00:00:00")


def write_order_log(
    result: RunResult, export: Mapping[str, Any], seed: int, out_dir: str | Path, start_date: str
) -> Path:
    """Write ``order_log.csv`` (or ``.parquet``) into the run dir; returns its path."""
    out = make_dirs(Path(out_dir))
    export = {**export, "start": hour_zero(export, start_date)}
    frame = order_log_frame(as_of(result.orders, float(result.meta["horizon_h"])), export, seed)
    path = out / f"{ORDER_LOG_STEM}.{export['format']}"
    with temp_path(path, out) as tmp:  # removed if the write fails or is interrupted
        if export["format"] == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
    return path
