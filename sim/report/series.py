"""Per-run detail the charts need beyond kpis.json: backlog and late orders over time, delivery
times, and the MSER-5 warm-up of each run, chosen on every sampled series that feeds the KPIs.

Reads only the columns it uses from ``orders.parquet`` and ``timeseries.parquet``, one run at a
time, so memory stays proportional to one run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.io.run_files import ORDERS_FILE, TIMESERIES_FILE
from sim.report.sweep import OK, Job
from sim.report.warmup import mser5


@dataclass(frozen=True)
class Timeline:
    """Mean over replications of one scenario x policy, on the sample grid."""

    time_h: np.ndarray
    backlog: np.ndarray
    late_open: np.ndarray


def backlog_series(run_dir: Path) -> pd.Series:
    """Orders waiting for a picker, all warehouses together, by sample time (h)."""
    ts = pd.read_parquet(run_dir / TIMESERIES_FILE, columns=["time_h", "kind", "backlog"])
    wh = ts[ts["kind"] == "warehouse"]
    return wh.groupby("time_h")["backlog"].sum().astype(float)


def late_open_series(run_dir: Path, times_h: np.ndarray) -> np.ndarray:
    """At each time, orders past their promise and not yet delivered or cancelled."""
    o = pd.read_parquet(run_dir / ORDERS_FILE, columns=["promised_h", "delivered_h", "cancelled_h"])
    promised = o["promised_h"].to_numpy(float)
    end = np.fmin(o["delivered_h"].to_numpy(float), o["cancelled_h"].to_numpy(float))
    end = np.where(np.isnan(end), np.inf, end)
    late = end > promised  # each such order is late from its promise until it ends
    starts = np.sort(promised[late])
    ends = np.sort(end[late])
    return np.searchsorted(starts, times_h, side="right") - np.searchsorted(
        ends, times_h, side="right"
    )


def delivery_hours(run_dir: Path, warmup_h: float) -> np.ndarray:
    """Creation-to-delivery times (h) of delivered orders created after the warm-up."""
    o = pd.read_parquet(run_dir / ORDERS_FILE, columns=["created_h", "delivered_h"])
    created = o["created_h"].to_numpy(float)
    delivered = o["delivered_h"].to_numpy(float)
    keep = (created >= warmup_h) & ~np.isnan(delivered)
    return delivered[keep] - created[keep]


# Series that feed KPIs, each checked by MSER-5 as a network total and (warehouse series) per
# warehouse: pick backlog -> pick wait; dock -> delivery time; back-orders and stock -> re-route,
# back-order and cancel rates; parcels in transit -> delivery time and transport cost; late open
# orders -> late rate and NPS.
WAREHOUSE_SERIES = ("backlog", "at_dock", "backordered", "stock_units")
NETWORK_SERIES = (*WAREHOUSE_SERIES, "in_transit", "late_open")


def kpi_series(run_dir: Path) -> dict[str, np.ndarray]:
    """Every series that feeds the KPIs, on the sample grid: ``<series>`` for the network total
    and ``<series>@<warehouse>`` for each warehouse; series that never move are left out."""
    ts = pd.read_parquet(run_dir / TIMESERIES_FILE)
    wh = ts[ts["kind"] == "warehouse"]
    times = np.sort(wh["time_h"].unique())
    out: dict[str, np.ndarray] = {}
    for name in WAREHOUSE_SERIES:
        by = wh.pivot_table(index="time_h", columns="name", values=name, observed=True)
        by = by.reindex(times).astype(float)
        out[name] = by.sum(axis=1).to_numpy()
        out.update({f"{name}@{w}": by[w].to_numpy() for w in by.columns})
    modes = ts[ts["kind"] == "mode"]
    out["in_transit"] = (
        modes.groupby("time_h")["in_transit"].sum().reindex(times).astype(float).to_numpy()
    )
    out["late_open"] = late_open_series(run_dir, times).astype(float)
    return {k: v for k, v in out.items() if len(v) and np.nanstd(v) > 0}


def warmup_frame(jobs: Sequence[Job], labels: pd.DataFrame) -> pd.DataFrame:
    """MSER-5 warm-up of each finished run, beside the warm-up it used: the cut on each series
    that feeds the KPIs (network totals: ``mser5_<series>_h``), and the warm-up chosen on all of
    them — the largest cut of the series that settle (``mser5_warmup_h``, set by
    ``mser5_series``); ``unsettled`` names series whose minimum falls in the second half."""
    rows = []
    by_job = labels.set_index("job")
    for job in jobs:
        if job.status != OK or job.run_dir is None:
            continue
        if not (job.run_dir / TIMESERIES_FILE).exists():
            continue
        series = kpi_series(job.run_dir)
        times = backlog_series(job.run_dir).index.to_numpy(float)
        interval_h = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
        cuts = {name: mser5(values) for name, values in series.items()}
        settled = {name: cut.observations * interval_h for name, cut in cuts.items() if cut.settled}
        worst = max(settled, key=lambda name: settled[name], default="")
        rows.append(
            {
                "job": job.num,
                "scenario": by_job.loc[job.num, "scenario"],
                "policy": by_job.loc[job.num, "policy"],
                "seed": job.seed,
                "warmup_used_h": 24.0 * float(job.config.get("warmup_days", 0.0)),
                "mser5_warmup_h": settled.get(worst, 0.0),
                "mser5_series": worst,
                "settled": len(settled) == len(cuts),
                "unsettled": " ".join(sorted(set(cuts) - set(settled))),
                **{
                    f"mser5_{name}_h": cuts[name].observations * interval_h
                    if name in cuts
                    else np.nan
                    for name in NETWORK_SERIES
                },
            }
        )
    columns = [
        "job",
        "scenario",
        "policy",
        "seed",
        "warmup_used_h",
        "mser5_warmup_h",
        "mser5_series",
        "settled",
        "unsettled",
        *(f"mser5_{name}_h" for name in NETWORK_SERIES),
    ]
    return pd.DataFrame(rows, columns=columns)


def _cells(jobs: Sequence[Job], labels: pd.DataFrame) -> dict[tuple[str, str], list[Job]]:
    by_job = labels.set_index("job")
    cells: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        if job.status == OK and job.run_dir is not None:
            key = (str(by_job.loc[job.num, "scenario"]), str(by_job.loc[job.num, "policy"]))
            cells.setdefault(key, []).append(job)
    return cells


def delivery_quantiles(
    jobs: Sequence[Job], labels: pd.DataFrame, levels: np.ndarray
) -> dict[tuple[str, str], np.ndarray]:
    """Delivery-time quantiles per scenario x policy, pooled over its replications."""
    out = {}
    for key, cell in _cells(jobs, labels).items():
        hours = [
            delivery_hours(j.run_dir, 24.0 * float(j.config.get("warmup_days", 0.0)))
            for j in cell
            if j.run_dir is not None and (j.run_dir / ORDERS_FILE).exists()
        ]
        pooled = np.concatenate(hours) if hours else np.empty(0)
        if len(pooled):
            out[key] = np.quantile(pooled, levels)
    return out


def mean_timelines(
    jobs: Sequence[Job], labels: pd.DataFrame, scenarios: Sequence[str]
) -> dict[tuple[str, str], Timeline]:
    """Backlog and late open orders per scenario x policy, averaged over replications."""
    out = {}
    for (scenario, policy), cell in _cells(jobs, labels).items():
        if scenario not in scenarios:
            continue
        backlogs, lates, time_h = [], [], np.empty(0)
        for job in cell:
            assert job.run_dir is not None
            if not (job.run_dir / TIMESERIES_FILE).exists():
                continue
            backlog = backlog_series(job.run_dir)
            time_h = backlog.index.to_numpy(float)
            backlogs.append(backlog.to_numpy())
            lates.append(late_open_series(job.run_dir, time_h).astype(float))
        if backlogs:
            n = min(len(b) for b in backlogs)
            out[(scenario, policy)] = Timeline(
                time_h[:n],
                np.mean([b[:n] for b in backlogs], axis=0),
                np.mean([x[:n] for x in lates], axis=0),
            )
    return out
