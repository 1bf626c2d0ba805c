"""Charts of the comparison table: KPI bars with CIs, the cost-NPS and cost-CO2e frontiers, paired
improvement.

Each function draws one figure from the aggregated tables and returns it with a title that states
the finding; :mod:`sim.report.style` keeps them consistent and byte-stable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from sim.report.aggregate import cells_of, ordered
from sim.report.findings import leader
from sim.report.kpis import info
from sim.report.style import (
    BAD,
    GOOD,
    NEUTRAL,
    colours,
    figure,
    house_style,
    legend_below,
    title,
)

BAR_KPIS = ("cost_per_order", "nps", "on_time_rate", "delivery_time_p90_h")
IMPROVEMENT_KPIS = ("cost_per_order", "nps", "on_time_rate", "delivery_time_mean_h")


def _scale(kpi: str) -> float:
    return 100.0 if info(kpi).unit == "pp" else 1.0


def _axis_label(kpi: str) -> str:
    k = info(kpi)
    return k.label + (" (%)" if k.unit == "pp" else "")


@house_style
def kpi_bars(comparison: pd.DataFrame, kpis: Sequence[str] = BAR_KPIS) -> Figure:
    """Mean and 95% CI of each headline KPI, scenarios side by side, a bar per policy."""
    kpis = [k for k in kpis if k in set(comparison["kpi"])]
    scenarios, policies = ordered(comparison["scenario"]), ordered(comparison["policy"])
    colour = colours(policies)
    fig = figure(ncols=len(kpis), width=3.3 * len(kpis), height=3.8)
    width = 0.8 / max(len(policies), 1)
    for ax, kpi in zip(fig.axes, kpis, strict=False):
        cells, scale = cells_of(comparison, kpi), _scale(kpi)
        ys_all: list[float] = []
        for j, policy in enumerate(policies):
            xs, ys, errs = [], [], []
            for i, scenario in enumerate(scenarios):
                row = cells.get((scenario, policy))
                if row is None:
                    continue
                xs.append(i + (j - (len(policies) - 1) / 2) * width)
                ys.append(row["mean"] * scale)
                half = row["half_width"] * scale
                errs.append(half if math.isfinite(half) else 0.0)
            ys_all += ys
            ax.bar(xs, ys, width * 0.92, yerr=errs, capsize=2.5, color=colour[policy], label=policy)
        ax.set_xticks(range(len(scenarios)), scenarios, rotation=20 if len(scenarios) > 3 else 0)
        ax.set_title(_axis_label(kpi), fontsize=10)
        low = min(ys_all, default=0.0)
        if low > 0 and info(kpi).unit == "pp":
            ax.set_ylim(bottom=max(0.0, low - 10.0), top=min(ax.get_ylim()[1], 100.5))
    legend_below(fig)
    title(
        fig,
        _bars_finding(comparison, scenarios),
        "Bars: mean over replications; whiskers: 95% t-CI.",
    )
    return fig


def _bars_finding(comparison: pd.DataFrame, scenarios: list[str]) -> str:
    cells = comparison[comparison["kpi"] == "on_time_rate"]
    if cells.empty or len(scenarios) < 2:
        top = leader(comparison, scenarios[0], "cost_per_order") if scenarios else None
        return f"{top} has the lowest cost per order" if top else "Headline KPIs"
    by_scenario = cells.groupby("scenario", sort=False)["mean"].mean()
    reference = str(by_scenario.index[0])
    worst = str(by_scenario.drop(reference).idxmin())
    gap = by_scenario[reference] - by_scenario[worst]
    if gap < 0.001:  # under a tenth of a point: no scenario stands out
        return f"On-time delivery is about the same in every scenario ({by_scenario.mean():.1%})"
    return (
        f"{worst} hurts on-time delivery most: {by_scenario[worst]:.1%} on average "
        f"(vs {by_scenario[reference]:.1%} in {reference})"
    )


@house_style
def frontier(comparison: pd.DataFrame) -> Figure | None:
    """Cost per order against NPS per policy, one panel per scenario; the efficient ones joined."""
    return trade_off(comparison, "nps", "NPS proxy  - higher is better", "cost-NPS")


@house_style
def co2e_frontier(comparison: pd.DataFrame) -> Figure | None:
    """Cost per order against CO2e per shipped order, per scenario: what a kilogram saved costs."""
    return trade_off(
        comparison,
        "co2e_kg_per_order",
        "CO2e per shipped order (kg)  - lower is better",
        "cost-CO2e",
    )


def trade_off(comparison: pd.DataFrame, kpi: str, y_label: str, name: str) -> Figure | None:
    """Cost per order against ``kpi`` per policy, one panel per scenario; the policies no other
    beats on both joined (the frontier). None when the sweep lacks either KPI's values."""
    have = comparison[comparison["kpi"] == kpi]
    if "cost_per_order" not in set(comparison["kpi"]) or not have["mean"].notna().any():
        return None
    higher = bool(info(kpi).higher_is_better)
    scenarios, policies = ordered(comparison["scenario"]), ordered(comparison["policy"])
    colour = colours(policies)
    cost, ys = cells_of(comparison, "cost_per_order"), cells_of(comparison, kpi)
    fig = figure(ncols=len(scenarios), width=max(7.5, 3.6 * len(scenarios) + 2.2), height=3.8)
    efficient_everywhere: set[str] | None = None
    for ax, scenario in zip(fig.axes, scenarios, strict=False):
        points: list[tuple[str, float, float]] = []
        for policy in policies:
            c, n = cost.get((scenario, policy)), ys.get((scenario, policy))
            if c is None or n is None or not math.isfinite(n["mean"]):
                continue
            points.append((policy, float(c["mean"]), float(n["mean"])))
            ax.errorbar(
                c["mean"],
                n["mean"],
                xerr=_finite(c["half_width"]),
                yerr=_finite(n["half_width"]),
                fmt="o",
                color=colour[policy],
                capsize=2.5,
                label=policy,
            )
        front = pareto(points, higher)
        efficient = {p for p, _, _ in front}
        efficient_everywhere = (
            efficient if efficient_everywhere is None else efficient_everywhere & efficient
        )
        if len(front) > 1:
            ax.plot(
                [c for _, c, _ in front], [n for _, _, n in front], color=NEUTRAL, lw=1, ls="--"
            )
        ax.set_title(scenario, fontsize=10)
        ax.set_xlabel("cost per order (USD)  - lower is better")
        ax.grid(True, axis="both")
    fig.axes[0].set_ylabel(y_label)
    legend_below(fig)
    kept = sorted(efficient_everywhere or set(), key=policies.index)
    finding = (
        f"On the {name} frontier in every scenario: {', '.join(kept)}"
        if kept
        else f"No policy is on the {name} frontier in every scenario"
    )
    title(
        fig, finding, "Points: means; whiskers: 95% t-CIs; dashed: policies no other beats on both."
    )
    return fig


def _finite(x: float) -> float:
    return float(x) if math.isfinite(x) else 0.0


def pareto(
    points: Sequence[tuple[str, float, float]], higher: bool = True
) -> list[tuple[str, float, float]]:
    """Points not beaten on both lower cost and a better second value (higher NPS, or lower when
    ``higher`` is false: CO2e), by cost."""
    sign = 1.0 if higher else -1.0
    front = [
        p
        for p in points
        if not any(
            (q[1] <= p[1] and sign * q[2] >= sign * p[2]) and (q[1], q[2]) != (p[1], p[2])
            for q in points
        )
    ]
    return sorted(front, key=lambda p: p[1])


@house_style
def paired_improvement(
    comparison: pd.DataFrame, baseline: str, kpis: Sequence[str] = IMPROVEMENT_KPIS
) -> Figure | None:
    """Paired difference against the baseline policy, oriented so right is better, with 95% CIs."""
    rows = comparison[(comparison["policy"] != baseline) & comparison["n_pairs"].gt(1)]
    kpis = [k for k in kpis if k in set(rows["kpi"]) and info(k).higher_is_better is not None]
    if rows.empty or not kpis:
        return None
    cells = list(dict.fromkeys(zip(rows["scenario"], rows["policy"], strict=True)))
    fig = figure(
        ncols=len(kpis), width=3.2 * len(kpis) + 1.5, height=max(3.0, 1.6 + 0.35 * len(cells))
    )
    clear_wins: dict[str, int] = {}
    for ax, kpi in zip(fig.axes, kpis, strict=False):
        k, table = info(kpi), cells_of(rows, kpi)
        sign = (1.0 if k.higher_is_better else -1.0) * _scale(kpi)
        for y, cell in enumerate(cells):
            r = table.get(cell)
            if r is None:
                continue
            lo, hi = sorted((sign * r["diff_ci_low"], sign * r["diff_ci_high"]))
            mid = sign * r["diff_mean"]
            col = GOOD if lo > 0 else BAD if hi < 0 else NEUTRAL
            if lo > 0:
                clear_wins[cell[1]] = clear_wins.get(cell[1], 0) + 1
            ax.errorbar(mid, y, xerr=[[mid - lo], [hi - mid]], fmt="o", color=col, capsize=3)
        ax.axvline(0.0, color="#444444", lw=0.8)
        ax.set_yticks(range(len(cells)), [f"{s} / {p}" for s, p in cells])
        ax.invert_yaxis()
        ax.set_title(f"{k.label}\n(better ->{', ' + k.unit if k.unit else ''})", fontsize=9.5)
        ax.grid(True, axis="x")
        if ax is not fig.axes[0]:
            ax.tick_params(labelleft=False)
    if clear_wins:
        top = max(clear_wins, key=lambda p: (clear_wins[p], -ordered(rows["policy"]).index(p)))
        total = len(cells) * len(kpis)
        finding = f"{top} has the most clear wins over {baseline} ({clear_wins[top]} of {total})"
    else:
        finding = f"No policy is clearly better than {baseline} on any headline KPI"
    title(
        fig,
        finding,
        "Paired by seed (common random numbers); green: CI above 0, red: below, grey: unclear.",
    )
    return fig
