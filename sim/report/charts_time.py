"""Charts of what happens inside the runs: delivery-time ECDFs, backlog and late orders through a
storm and a burst, the warm-up MSER-5 chose, and the alert funnel of monitoring policies.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scenarios.build import storm_start_h
from scenarios.dates import DEFAULT_START_DATE, parse_date
from sim.report.aggregate import ordered
from sim.report.series import Timeline
from sim.report.style import BAD, NEUTRAL, colours, figure, house_style, legend_below, title
from sim.report.warmup import mser5

QUANTILES = np.linspace(0.0, 1.0, 401)
MIN_WARMUP_SAMPLES = 50


@dataclass(frozen=True)
class Disruption:
    """A window to shade on a timeline: a storm or a burst, from the scenario config."""

    label: str
    start_h: float
    end_h: float


def start_date(scenario_cfg: Mapping[str, object]) -> datetime.date:
    """The date of hour 0 of a scenario config (runs from before dates: the old Monday)."""
    return parse_date("start_date", scenario_cfg.get("start_date") or DEFAULT_START_DATE)


def dates(start: datetime.date, hours: np.ndarray | Sequence[float]) -> np.ndarray:
    """Simulated hours as matplotlib date numbers from ``start`` (for a chart's time axis)."""
    origin = float(mdates.date2num(datetime.datetime.combine(start, datetime.time(0))))
    return origin + np.asarray(hours, dtype=float) / 24.0  # date numbers count days


def date_axis(ax: Axes) -> None:
    """Concise dates on the x axis (day, month, year as the span needs)."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("date (local)")


def disruptions(scenario_cfg: Mapping[str, object]) -> list[Disruption]:
    """Scheduled storms and bursts of a scenario config (plain data from .hydra/config.yaml)."""
    out = []
    weather = scenario_cfg.get("weather") or {}
    demand = scenario_cfg.get("demand") or {}
    assert isinstance(weather, Mapping) and isinstance(demand, Mapping)
    for s in weather.get("storms") or []:
        start = storm_start_h(s, start_date(scenario_cfg))
        out.append(
            Disruption(f"storm {s.get('region', '')}", start, start + float(s["duration_h"]))
        )
    for b in demand.get("bursts") or []:
        start = storm_start_h(b, start_date(scenario_cfg))
        out.append(Disruption(str(b.get("name", "burst")), start, start + float(b["duration_h"])))
    return out


def _width(policies: list[str], policy: str) -> float:
    """Earlier policies drawn thicker, so identical curves stay visible underneath."""
    return 2.6 - 1.6 * policies.index(policy) / max(len(policies) - 1, 1)


@house_style
def delivery_ecdf(
    quantiles: Mapping[tuple[str, str], np.ndarray], promise_h: Mapping[str, float]
) -> Figure | None:
    """Share of delivered orders within x hours, a panel per scenario, a line per policy."""
    if not quantiles:
        return None
    scenarios = list(dict.fromkeys(s for s, _ in quantiles))
    policies = list(dict.fromkeys(p for _, p in quantiles))
    colour = colours(policies)
    fig = figure(ncols=len(scenarios), width=max(7.5, 3.6 * len(scenarios) + 2.2), height=3.6)
    p90: dict[str, float] = {}
    tail_h = 1.05 * max(float(np.interp(0.995, QUANTILES, h)) for h in quantiles.values())
    for ax, scenario in zip(fig.axes, scenarios, strict=False):
        for policy in policies:
            hours = quantiles.get((scenario, policy))
            if hours is None:
                continue
            ax.plot(
                hours,
                QUANTILES * 100,
                color=colour[policy],
                lw=_width(policies, policy),
                label=policy,
            )
            p90.setdefault(scenario, float(np.interp(0.9, QUANTILES, hours)))
        for level, promise in promise_h.items():
            if promise > tail_h:
                continue
            ax.axvline(promise, color=NEUTRAL, lw=0.8, ls=":")
            ax.text(promise, 3, f" {level}\n promise", fontsize=7.5, color="#555555")
        ax.axhline(90, color="#BBBBBB", lw=0.6)
        ax.set_title(scenario, fontsize=10)
        ax.set_xlabel("hours from order to delivery")
        ax.set_xlim(0, tail_h)
        ax.grid(True, axis="both")
    fig.axes[0].set_ylabel("% of delivered orders")
    legend_below(fig)
    slowest = max(p90, key=lambda s: p90[s])
    finding = f"9 in 10 orders arrive within {p90[scenarios[0]]:.0f} h in {scenarios[0]}"
    if slowest != scenarios[0]:
        finding += f", {p90[slowest]:.0f} h in {slowest}"
    title(fig, finding, "Pooled over replications, first policy's p90 quoted; dotted: promises.")
    return fig


@house_style
def disruption_timeline(
    timelines: Mapping[tuple[str, str], Timeline],
    windows: Mapping[str, Sequence[Disruption]],
    start_dates: Mapping[str, datetime.date],
) -> Figure | None:
    """Backlog and late open orders over time (dates from each scenario's ``start_date``), a
    column per disrupted scenario."""
    scenarios = [s for s in dict.fromkeys(s for s, _ in timelines) if windows.get(s)]
    if not scenarios:
        return None
    policies = list(dict.fromkeys(p for s, p in timelines if s in scenarios))
    colour = colours(policies)
    fig = figure(
        ncols=len(scenarios), nrows=2, width=max(8.0, 5.0 * len(scenarios) + 1.5), height=5.6
    )
    axes = np.asarray(fig.axes).reshape(2, len(scenarios))
    peaks = []
    for col, scenario in enumerate(scenarios):
        start, end_h = start_dates[scenario], 0.0
        for policy in policies:
            tl = timelines.get((scenario, policy))
            if tl is None:
                continue
            when, lw = dates(start, tl.time_h), _width(policies, policy)
            axes[0, col].plot(when, tl.backlog, color=colour[policy], lw=lw, label=policy)
            axes[1, col].plot(when, tl.late_open, color=colour[policy], lw=lw, label=policy)
            peaks.append((float(tl.late_open.max()), scenario, policy))
            end_h = max(end_h, float(tl.time_h[-1]))
        for ax in axes[:, col]:
            for w in windows[scenario]:
                if w.start_h < end_h:
                    ax.axvspan(*dates(start, [w.start_h, w.end_h]), color=BAD, alpha=0.10, lw=0)
            ax.set_xlim(*dates(start, [0.0, end_h]))
            date_axis(ax)
        axes[0, col].set_title(f"{scenario}: pick backlog (orders)", fontsize=10)
        axes[1, col].set_title(f"{scenario}: orders open past their promise", fontsize=10)
    legend_below(fig)
    late, scenario, policy = max(peaks)
    title(
        fig,
        f"Late orders peak at {late:,.0f} in {scenario} ({policy})",
        "Mean over replications; shaded: scheduled storms and bursts.",
    )
    return fig


@house_style
def warmup_chart(
    timeline: Timeline | None, used_h: float, label: str, start: datetime.date
) -> Figure | None:
    """A scenario's backlog averaged over replications, with MSER-5's cut and the warm-up used;
    nothing for a series too short to judge (under 50 samples)."""
    if timeline is None or len(timeline.time_h) < MIN_WARMUP_SAMPLES:
        return None
    series_h, backlog = timeline.time_h, timeline.backlog
    cut = mser5(backlog)
    interval = float(np.median(np.diff(series_h))) if len(series_h) > 1 else 1.0
    cut_h = cut.observations * interval
    fig = figure(width=9.0, height=3.2)
    ax = fig.axes[0]
    ax.plot(dates(start, series_h), backlog, color="#4C6A92", lw=1.0)
    cut_x, used_x = dates(start, [cut_h, used_h])
    ax.axvline(cut_x, color=BAD, lw=1.2, ls="--", label=f"MSER-5: {cut_h:.0f} h")
    ax.axvline(used_x, color="#333333", lw=1.2, label=f"warm-up used: {used_h:.0f} h")
    date_axis(ax)
    ax.set_ylabel("pick backlog (orders)")
    ax.legend(loc="upper right")
    verdict = "is enough" if cut_h <= used_h else "looks short"
    title(
        fig,
        f"The {used_h:.0f} h warm-up {verdict}: MSER-5 cuts at {cut_h:.0f} h",
        f"{label}; mean over replications.",
    )
    return fig


@house_style
def alert_funnel(comparison: pd.DataFrame) -> Figure | None:
    """Orders that went wrong, orders alerted, and wrong orders alerted in time, per policy."""
    need = {"alerts_total", "alert_precision", "alert_recall", "orders_failed", "orders_alerted"}
    if not need <= set(comparison["kpi"]):
        return None
    means = comparison.pivot_table(
        index=["scenario", "policy"], columns="kpi", values="mean", sort=False
    )
    means = means[means["alerts_total"] > 0]
    if means.empty:
        return None
    scenarios = ordered(pd.Series([s for s, _ in means.index]))
    fig = figure(
        ncols=len(scenarios),
        width=max(10.0, 4.4 * len(scenarios) + 2.5),
        height=2.0 + 0.8 * len(means) / len(scenarios),
    )
    stages = ("went wrong", "alerted", "alerted before going wrong")
    shades = ("#BBBBBB", "#E69F00", "#009E73")
    quality = np.nan_to_num(means["alert_precision"]) + np.nan_to_num(means["alert_recall"])
    best_scenario, best_policy = means.index[int(np.argmax(quality))]
    best = means.loc[(best_scenario, best_policy)]
    for ax, scenario in zip(fig.axes, scenarios, strict=False):
        cells = means.loc[scenario]
        for y, (_policy, r) in enumerate(cells.iterrows()):
            caught = np.nan_to_num(r["alert_recall"]) * r["orders_failed"]
            values = (r["orders_failed"], r["orders_alerted"], caught)
            for k, (stage, v, shade) in enumerate(zip(stages, values, shades, strict=True)):
                ax.barh(
                    y + (k - 1) * 0.26,
                    max(v, 1.0),
                    0.24,
                    color=shade,
                    label=stage if y == 0 else None,
                )
                ax.text(
                    max(v, 1.0) * 1.08, y + (k - 1) * 0.26, f"{v:,.0f}", va="center", fontsize=7
                )
            ax.text(
                max(values) * 4.0,
                y,
                f"precision {r['alert_precision']:.0%}\nrecall {r['alert_recall']:.0%}",
                va="center",
                fontsize=8,
            )
        ax.set_xscale("log")
        ax.set_xlim(1.0, max(means["orders_alerted"].max(), means["orders_failed"].max()) * 40)
        ax.set_yticks(range(len(cells)), list(cells.index))
        ax.invert_yaxis()
        ax.set_title(scenario, fontsize=10)
        ax.set_xlabel("orders per run (mean, log scale)")
        ax.grid(True, axis="x")
    legend_below(fig)
    title(
        fig,
        f"{best_policy} catches {np.nan_to_num(best['alert_recall']):.0%} of orders that go "
        f"wrong, with {np.nan_to_num(best['alert_precision']):.0%} of its alerts real "
        f"({best_scenario})",
        "Recall: share of wrong orders alerted in time; precision: share of alerted orders that "
        "went wrong.",
    )
    return fig
