"""Per-run detail the charts need beyond kpis.json: backlog and late orders over time, delivery
times, and the MSER-5 warm-up of each run's backlog.

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


def warmup_frame(jobs: Sequence[Job], labels: pd.DataFrame) -> pd.DataFrame:
    """MSER-5 warm-up of each finished run's total backlog, beside the warm-up it used."""
    rows = []
    by_job = labels.set_index("job")
    for job in jobs:
        if job.status != OK or job.run_dir is None:
            continue
        if not (job.run_dir / TIMESERIES_FILE).exists():
            continue
        series = backlog_series(job.run_dir)
        interval_h = float(np.median(np.diff(series.index))) if len(series) > 1 else 1.0
        cut = mser5(series.to_numpy())
        rows.append(
            {
                "job": job.num,
                "scenario": by_job.loc[job.num, "scenario"],
                "policy": by_job.loc[job.num, "policy"],
                "seed": job.seed,
                "warmup_used_h": 24.0 * float(job.config.get("warmup_days", 0.0)),
                "mser5_warmup_h": cut.observations * interval_h,
                "settled": cut.settled,
            }
        )
    columns = ["job", "scenario", "policy", "seed", "warmup_used_h", "mser5_warmup_h", "settled"]
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
