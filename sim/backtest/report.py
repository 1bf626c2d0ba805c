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
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.backtest.holdout import LABELS, Backtest, daily_counts, delivery_times_h

CHARTS = ("daily_volume.png", "delivery_time_cdf.png", "hour_of_week.png")
HISTORY_STYLE: dict[str, Any] = {"color": "black", "lw": 1.6, "label": "history"}
TWIN_COLOR = "tab:blue"


def _fmt(name: str, value: float) -> str:
    if value != value:
        return "n/a"
    return f"{value:.1%}" if name == "on_time_rate" else f"{value:,.2f}"


def to_json(bt: Backtest) -> dict[str, Any]:
    def safe(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return {
        "passed": bt.passed,
        "window_h": [bt.history.window.start_h, bt.history.window.end_h],
        "dropped": bt.history.dropped,
        "kpis": [{k: safe(v) for k, v in vars(c).items()} for c in bt.checks],
        "delivery_time_ks": bt.ks,
        **bt.meta,
    }


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
    lines += [f"![{name[:-4]}]({name})" for name in CHARTS] + [""]
    return "\n".join(lines)


def _chart(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of its own, not pyplot's: nothing global is touched, no backend is chosen."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _save(fig: Figure, ax: Axes, path: Path) -> None:
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _daily_chart(bt: Backtest, path: Path) -> None:
    w = bt.history.window
    sims = np.array([daily_counts(s, w) for s in bt.sims])
    days = np.arange(sims.shape[1]) + w.start_h / 24.0
    fig, ax = _chart(8, 3.5)
    ax.fill_between(days, sims.min(0), sims.max(0), color=TWIN_COLOR, alpha=0.25, label="twin")
    ax.plot(days, sims.mean(0), color=TWIN_COLOR, lw=1.2)
    ax.plot(days, daily_counts(bt.history.orders, w), **HISTORY_STYLE)
    ax.set(xlabel="day from hour 0", ylabel="orders created", title="Orders per day")
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
    (out_dir / "backtest.json").write_text(json.dumps(to_json(bt), indent=2) + "\n")
    path = out_dir / "backtest.md"
    path.write_text(markdown(bt))
    return path
