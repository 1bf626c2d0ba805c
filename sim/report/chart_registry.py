"""The report's charts, one entry each: file name, drawing function, the data it needs, caption.

The report builder draws :data:`CHARTS` in this order into ``charts/<name>.png``; a chart with
nothing to show (no pilot, no monitoring, no scheduled disruption) draws nothing and is left out.
Each entry names the :class:`ChartData` fields its function takes, in order; the per-run detail
(delivery times, backlogs) is read from the run dirs only when a chart asks for it.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report import charts, charts_time, pilot
from sim.report.aggregate import ordered
from sim.report.charts_time import Disruption
from sim.report.series import Timeline, delivery_quantiles, mean_timelines
from sim.report.sweep import OK, Job


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the report."""

    name: str  # the file: charts/<name>.png
    draw: Callable[..., Figure | None]  # None: nothing to show in this sweep
    needs: tuple[str, ...]  # the ChartData fields ``draw`` takes, in order
    caption: str  # under the chart in report.html; {baseline} is the baseline policy

    def figure(self, data: ChartData) -> Figure | None:
        return self.draw(*(getattr(data, name) for name in self.needs))


@dataclass
class ChartData:
    """What the charts are drawn from: the sweep's tables, and per-run detail read on demand."""

    jobs: list[Job]
    summary: pd.DataFrame
    comparison: pd.DataFrame
    baseline: str
    pilots: pd.DataFrame

    @functools.cached_property
    def labels(self) -> pd.DataFrame:
        return self.summary[["job", "scenario", "policy"]]

    @functools.cached_property
    def first(self) -> Job:
        """The first finished job: the sweep's settings are read from it."""
        return next(j for j in self.jobs if j.status == OK)

    @functools.cached_property
    def promise_h(self) -> dict[str, float]:
        """Promised hours by service level (the first finished job's scenario; the level's
        promise where no region has its own)."""
        levels = self.first.config.get("scenario", {}).get("service_levels") or {}
        return {name: float(level["promise_h"]) for name, level in levels.items()}

    @functools.cached_property
    def delivery_quantiles(self) -> dict[tuple[str, str], np.ndarray]:
        return delivery_quantiles(self.jobs, self.labels, charts_time.QUANTILES)

    @functools.cached_property
    def windows(self) -> dict[str, list[Disruption]]:
        """Disrupted scenarios (scheduled storms or bursts), by scenario label."""
        by_job = self.summary.set_index("job")
        out: dict[str, list[Disruption]] = {}
        for job in self.jobs:
            if job.status == OK:
                label = str(by_job.loc[job.num, "scenario"])
                found = charts_time.disruptions(job.config.get("scenario") or {})
                if found and label not in out:
                    out[label] = found
        return out

    @functools.cached_property
    def start_dates(self) -> dict[str, datetime.date]:
        """The date of hour 0 by scenario label (time axes are dates)."""
        by_job = self.summary.set_index("job")
        out: dict[str, datetime.date] = {}
        for job in self.jobs:
            if job.status == OK:
                label = str(by_job.loc[job.num, "scenario"])
                out.setdefault(label, charts_time.start_date(job.config.get("scenario") or {}))
        return out

    @functools.cached_property
    def warmup_start_date(self) -> datetime.date:
        return self.start_dates[self.warmup_scenario]

    @functools.cached_property
    def disruption_timelines(self) -> dict[tuple[str, str], Timeline]:
        return mean_timelines(self.jobs, self.labels, list(self.windows))

    @functools.cached_property
    def warmup_scenario(self) -> str:
        """The scenario the warm-up chart shows: the first that finished."""
        return ordered(self.summary[self.summary["status"] == OK]["scenario"])[0]

    @functools.cached_property
    def warmup_timeline(self) -> Timeline | None:
        timelines = mean_timelines(self.jobs, self.labels, [self.warmup_scenario])
        return timelines.get((self.warmup_scenario, self.baseline))

    @functools.cached_property
    def warmup_used_h(self) -> float:
        return 24.0 * float(self.first.config.get("warmup_days", 0.0))

    @functools.cached_property
    def warmup_label(self) -> str:
        return f"{self.warmup_scenario} / {self.baseline}"


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "kpi_bars", charts.kpi_bars, ("comparison",), "Headline KPIs by scenario and policy."
    ),
    ChartSpec(
        "cost_vs_nps", charts.frontier, ("comparison",), "The cost-NPS trade-off per scenario."
    ),
    ChartSpec(
        "cost_vs_co2e",
        charts.co2e_frontier,
        ("comparison",),
        "The cost-CO2e trade-off per scenario (CO2e per shipped order of known CO2e).",
    ),
    ChartSpec(
        "paired_improvement",
        charts.paired_improvement,
        ("comparison", "baseline"),
        "Each policy against {baseline} on the same seeds.",
    ),
    ChartSpec(
        "delivery_ecdf",
        charts_time.delivery_ecdf,
        ("delivery_quantiles", "promise_h"),
        "Delivery-time distribution (ECDF) of orders created after the warm-up.",
    ),
    ChartSpec(
        "disruption_timeline",
        charts_time.disruption_timeline,
        ("disruption_timelines", "windows", "start_dates"),
        "Backlog and late orders through the scheduled storms and bursts.",
    ),
    ChartSpec(
        "alert_funnel", charts_time.alert_funnel, ("comparison",), "Alert quality of monitoring."
    ),
    ChartSpec(
        "warmup",
        charts_time.warmup_chart,
        ("warmup_timeline", "warmup_used_h", "warmup_label", "warmup_start_date"),
        "Warm-up check (MSER-5).",
    ),
    ChartSpec(
        "pilot", pilot.pilot_chart, ("pilots",), "The regional pilot: effect and run length."
    ),
)
