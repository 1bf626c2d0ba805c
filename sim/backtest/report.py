"""The backtest report: a short markdown page, its numbers as JSON, and three charts.

Charts: orders per day (history against the replications' range), the delivery-time
distribution (empirical CDFs), and orders by hour of the week (the fitted profile at work).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.backtest.holdout import LABELS, Backtest, daily_counts, delivery_times_h

CHARTS = (
    "daily_volume.png",
    "delivery_time_cdf.png",
    "hour_of_week.png",
    "monthly_volume.png",
)  # dates on every time axis: hour 0 is the log's local midnight
ORIGINS_CSV = "forecast_origins.csv"  # the rolling-origin check, one row per scored month
HISTORY_STYLE: dict[str, Any] = {"color": "black", "lw": 1.6, "label": "history"}
TWIN_COLOR = "tab:blue"


def _fmt(name: str, value: float) -> str:
    if value != value:
        return "n/a"
    return f"{value:.1%}" if name == "on_time_rate" else f"{value:,.2f}"


def json_ready(value: Any) -> Any:
    """``value`` with every NaN or infinity, however deep (numpy floats too), as ``None``:
    JSON has no NaN, and a reader other than Python's refuses the file that writes one."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def to_json(bt: Backtest) -> dict[str, Any]:
    return json_ready(
        {
            "passed": bt.passed,
            "window_h": [bt.history.window.start_h, bt.history.window.end_h],
            "dropped": bt.history.dropped,
            "kpis": [vars(c) for c in bt.checks],
            "delivery_time_ks": bt.ks,
            "planner": bt.planner,
            "demand": bt.demand,
            **bt.meta,
        }
    )


def markdown(bt: Backtest) -> str:
    w, m = bt.history.window, bt.meta
    verdict = "PASS" if bt.passed else "FAIL"
    lines = [
        f"# Backtest: {m.get('scenario', '?')} against {m.get('log', '?')} — {verdict}",
        "",
        f"{m.get('replications', len(bt.sims))} replications (seeds 1..R) of the twin from hour 0 "
        f"to hour {w.end_h:.0f}; orders created in hours [{w.start_h:.0f}, {w.end_h:.0f}) "
        f"({w.days:.1f} days after a {m.get('warmup_days', 0):g}-day warm-up), seen as of the "
        f"log's last timestamp. Routing `{m.get('routing')}`, monitoring `{m.get('monitoring')}`.",
        "",
        "A KPI passes when history lies in the twin's 95% prediction interval for one period, "
        "or within the stated tolerance of the twin's mean.",
        "",
        "| KPI | history (95% CI) | twin mean (95% CI) | prediction interval | tolerance | |",
        "|---|---|---|---|---|---|",
    ]
    for c in bt.checks:
        hist, twin = _fmt(c.name, c.history), _fmt(c.name, c.sim_mean)
        hist_ci = "-".join(_fmt(c.name, v) for v in c.history_ci)
        twin_ci = "-".join(_fmt(c.name, v) for v in c.sim_ci)
        pi = "-".join(_fmt(c.name, v) for v in c.prediction)
        verdict = "pass" if c.passed else "**FAIL**"
        lines.append(
            f"| {LABELS[c.name]} | {hist} ({hist_ci}) | {twin} ({twin_ci}) | {pi} "
            f"| {c.tolerance} | {verdict} |"
        )
    ks = bt.ks
    null = ", ".join(f"{d:.3f}" for d in ks["null_d"]) or "n/a"
    lines += [
        "",
        f"Delivery-time distribution: KS distance to history D = {ks['d']:.3f} "
        f"(p = {ks['p_value']:.2g}); between replications D = {null}; passes when D <= "
        f"{ks['bound']:.3f} (the larger of 0.05 and the replications' own distances): "
        f"{'pass' if ks['passed'] else '**FAIL**'}.",
        "",
        "Dropped from the log before comparing: "
        + ", ".join(f"{k} {v}" for k, v in bt.history.dropped.items()),
        "",
    ]
    lines += _planner_lines(bt) + _demand_lines(bt)
    lines += [f"![{name[:-4]}]({name})" for name in CHARTS] + [""]
    return "\n".join(lines)


def _num(v: float | None, spec: str) -> str:
    return "n/a" if v is None or v != v else format(v, spec)


def _pct(v: float | None) -> str:
    return "n/a" if v is None or v != v else f"{v:.1%}"


def _volume_row(label: str, v: dict[str, Any]) -> str:
    corr = "n/a" if v.get("correlation") is None else f"{v['correlation']:.3f}"
    return (
        f"| {label} | {v['n']} | {v['inside']} ({_pct(v['coverage'])}) | {_pct(v['mape'])} "
        f"| {corr} | {_pct(v['median_half_width'])} |"
    )


def _planner_lines(bt: Backtest) -> list[str]:
    p = bt.planner
    if not p:
        return []
    lines = [
        "## Per period, region, level and lane (twin runs)",
        "",
        "| volume per | periods | inside the 90% band | MAPE of the twin | correlation | "
        "median band half-width |",
        "|---|---|---|---|---|---|",
    ]
    lines += [_volume_row(freq, v) for freq, v in p["volume"].items()]
    shifts = bt.volume_shifts
    lines += ["", "Volume shifts missed: **FAIL** — " + "; ".join(shifts) + "."] if shifts else []
    late = p["late_rate"]
    lines += [
        "",
        f"Late rate (delivered after the promise / delivered with one): history "
        f"{_pct(late['history'])}, twin {_pct(float(np.nanmean(late['twin'])))}. Cancelled: "
        f"history {_pct(p['cancel_rate']['history'])}, twin "
        f"{_pct(float(np.mean(p['cancel_rate']['twin'])))}. Created -> shipped: history mean "
        f"{p['handling']['history']['mean_h']:.1f} h, p90 {p['handling']['history']['p90_h']:.1f} "
        f"h; twin {p['handling']['twin']['mean_h']:.1f} h, {p['handling']['twin']['p90_h']:.1f} h.",
        "",
        "| region | share history | share twin | late history | late twin | transit history (h) "
        "| transit twin (h) |",
        "|---|---|---|---|---|---|---|",
    ]
    for region, share in p["region_shares"].items():
        late_r = p["late_by_region"].get(region, {})
        tr = p["transit_by_region"].get(region, {})
        lines.append(
            f"| {region} | {_pct(share['history'])} | {_pct(share['twin'])} "
            f"| {_pct(late_r.get('history'))} | {_pct(late_r.get('twin'))} "
            f"| {_num(tr.get('history_mean_h'), '.1f')} | {_num(tr.get('twin_mean_h'), '.1f')} |"
        )
    by_month = p.get("region_share_by_month", {})
    if by_month:
        lines += [
            "",
            "Region share by month, largest gap between history and twin (pp): "
            + ", ".join(f"{r} {v['max_gap_pp']}" for r, v in by_month.items()),
        ]
    lines += ["", "| level | late history | late twin |", "|---|---|---|"]
    lines += [
        f"| {level} | {_pct(v['history'])} | {_pct(v['twin'])} |"
        for level, v in p["late_by_level"].items()
    ]
    lines += ["", "| lane | deliveries | transit history (h) | twin (h) | KS D | KS p |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    lines += [
        f"| {x['region']} <- {x['origin']} | {x['deliveries']} | {x['history_mean_h']:.1f} "
        f"| {x['twin_mean_h']:.1f} | {_num(x['ks_d'], '.3f')} "
        f"| {_num(x['ks_p'], '.2g')} |"
        for x in p["lanes"]
    ]
    return lines + [""]


def _demand_lines(bt: Backtest) -> list[str]:
    d = bt.demand
    if not d:
        return []
    lines = [
        "## Demand calendar (2,000 forecast paths of the fitted demand model)",
        "",
        "| | periods | inside the 90% band | MAPE | correlation | median band half-width |",
        "|---|---|---|---|---|---|",
    ]
    for freq, v in d.get("in_sample", {}).items():
        lines.append(_volume_row(f"in-sample, per {freq}", v))
    h = d.get("holdout")
    if h:
        lines.append(_volume_row(f"holdout from {h['fit']['until']}, per month", h))
        naive = h["naive"]
        lines += [
            "",
            f"Naive forecast (mean of {', '.join(naive['months'])}: {naive['forecast']:.0f} a "
            f"month): MAPE {_pct(naive['mape'])}; the twin's: {_pct(h['mape'])}.",
        ]
    o = d.get("origins")
    if o:
        lines += ["", "### Rolling origins", "", origins_summary(o) + ".", ""]
        lines += [
            "| origin | model chosen | months | inside the 90% band | MAPE | naive MAPE |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['origin']} | {r['model']} | {r['months']} | {r['inside']} | {_pct(r['mape'])} "
            f"| {_pct(r['naive_mape'])} |"
            for r in o["by_origin"]
        ]
        lines += ["", f"Every scored month: `{ORIGINS_CSV}`."]
    return lines + [""]


def origins_summary(o: dict[str, Any]) -> str:
    """The rolling-origin check in one sentence (the report's and the command's)."""
    return (
        f"rolling origins ({len(o['origins'])} month starts, {o['n']} months scored): "
        f"{o['inside']}/{o['n']} inside the 90% band ({_pct(o['coverage'])}), median half-width "
        f"{_pct(o['median_half_width'])}, MAPE {_pct(o['mape'])} against the naive forecast's "
        f"{_pct(o['naive_mape'])} (twin better from {o['origins_twin_better']} of "
        f"{len(o['origins'])} origins); a 90% band centred on the twin's forecast would have "
        f"needed a half-width of {_pct(o['needed_half_width'])}, on the naive's "
        f"{_pct(o['naive_needed_half_width'])}"
    )


def _chart(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of its own, not pyplot's: nothing global is touched, no backend is chosen."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _save(fig: Figure, ax: Axes, path: Path) -> None:
    if ax.get_legend_handles_labels()[0]:  # a short log has no whole month to draw
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _dates(bt: Backtest, hours: np.ndarray) -> Any:
    """Engine hours as local dates (hour 0 is the log's local midnight)."""
    return bt.history.clock.origin_local + pd.to_timedelta(hours, unit="h")


def _daily_chart(bt: Backtest, path: Path) -> None:
    w = bt.history.window
    sims = np.array([daily_counts(s, w) for s in bt.sims])
    days = _dates(bt, (np.arange(sims.shape[1]) + 0.5) * 24.0 + w.start_h)
    fig, ax = _chart(8, 3.5)
    ax.fill_between(days, sims.min(0), sims.max(0), color=TWIN_COLOR, alpha=0.25, label="twin")
    ax.plot(days, sims.mean(0), color=TWIN_COLOR, lw=1.2)
    ax.plot(days, daily_counts(bt.history.orders, w), **HISTORY_STYLE)
    ax.set(xlabel="date (local)", ylabel="orders created", title="Orders per day")
    fig.autofmt_xdate()
    _save(fig, ax, path)


def _monthly_chart(bt: Backtest, path: Path) -> None:
    """Orders per month: history against the twin runs' band, and the holdout forecast's."""
    fig, ax = _chart(8, 3.5)
    month = bt.planner.get("volume", {}).get("month")
    sources = [("twin runs", month, TWIN_COLOR)] if month and month["n"] else []
    h = bt.demand.get("holdout")
    if h and h["n"]:
        sources.append(("holdout forecast", h, "tab:orange"))
    for label, v, color in sources:
        x = pd.PeriodIndex(v["periods"], freq="M").to_timestamp()
        ax.fill_between(x, v["low"], v["high"], color=color, alpha=0.25, label=f"{label}, 90%")
        ax.plot(x, v["twin"], color=color, lw=1.2)
        first = label == sources[0][0]
        ax.plot(x, v["history"], **{**HISTORY_STYLE, "label": "history" if first else None})
    ax.set(xlabel="month", ylabel="orders created", title="Orders per month")
    fig.autofmt_xdate()
    _save(fig, ax, path)


def _cdf_chart(bt: Backtest, path: Path) -> None:
    w = bt.history.window
    fig, ax = _chart(6, 4)
    for i, s in enumerate(bt.sims):
        x = np.sort(delivery_times_h(s, w))
        label = "twin replications" if i == 0 else None
        ax.plot(x, np.arange(1, len(x) + 1) / len(x), color=TWIN_COLOR, alpha=0.5, label=label)
    x = np.sort(delivery_times_h(bt.history.orders, w))
    ax.plot(x, np.arange(1, len(x) + 1) / len(x), **HISTORY_STYLE)
    ax.set(xlabel="created -> delivered (h)", ylabel="share of delivered orders")
    ax.set_title(f"Delivery time (KS D = {bt.ks['d']:.3f})")
    _save(fig, ax, path)


def _hour_of_week_chart(bt: Backtest, path: Path) -> None:
    w = bt.history.window

    def per_slot(orders: Any) -> np.ndarray:
        created = orders["created_h"].to_numpy()
        created = created[(created >= w.start_h) & (created < w.end_h)]
        slots = np.bincount(np.floor(created).astype(int) % 168, minlength=168)
        weeks = np.bincount(np.arange(int(w.start_h), int(w.end_h)) % 168, minlength=168)
        return slots / np.maximum(weeks, 1)

    fig, ax = _chart(8, 3.5)
    ax.plot(np.mean([per_slot(s) for s in bt.sims], axis=0), color=TWIN_COLOR, label="twin")
    ax.plot(per_slot(bt.history.orders), **{**HISTORY_STYLE, "lw": 0.9})
    ax.set(xlabel="hour of the week (0 = Monday 00:00)", ylabel="orders per hour")
    ax.set_title("Orders by hour of the week")
    _save(fig, ax, path)


def write_report(bt: Backtest, out_dir: Path) -> Path:
    """Write backtest.md, backtest.json and the charts; returns the markdown path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _daily_chart(bt, out_dir / CHARTS[0])
    _cdf_chart(bt, out_dir / CHARTS[1])
    _hour_of_week_chart(bt, out_dir / CHARTS[2])
    _monthly_chart(bt, out_dir / CHARTS[3])
    if bt.demand.get("origins"):
        pd.DataFrame(bt.demand["origins"]["months"]).to_csv(out_dir / ORIGINS_CSV, index=False)
    text = json.dumps(to_json(bt), indent=2, allow_nan=False)  # a NaN left would be an error
    (out_dir / "backtest.json").write_text(text + "\n")
    path = out_dir / "backtest.md"
    path.write_text(markdown(bt))
    return path
