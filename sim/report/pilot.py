"""What a regional A/B pilot shows, and how long it must run to be conclusive.

A sweep that runs ``routing=pilot`` (policies/routing/pilot.py: the new policy in the pilot
region, the control policy elsewhere) beside the control policy everywhere, on the same seeds,
gives two things. The *regional effect*: pilot-region orders under the pilot minus the same
orders under control, paired by seed (common random numbers: the simulation's privilege). And
what the pilot's own data would show a planner: the daily difference between the pilot region
and the rest, minus that difference without the pilot; its day-to-day spread and lag-1
autocorrelation set how many days a real pilot needs to detect the effect (80% power, 5% level).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.io.run_files import ORDERS_FILE
from sim.report import stats
from sim.report.aggregate import records
from sim.report.findings import ci_words
from sim.report.kpis import info
from sim.report.style import NEUTRAL, PALETTE, figure, house_style, title
from sim.report.sweep import OK, Job

PILOT_TARGET = "PilotRouting"
ORDER_METRICS = ("cost_per_order", "late_rate", "nps")
COLUMNS = ("created_h", "region", "cost", "late_h", "status", "promoter_p", "detractor_p")


def is_pilot(job: Job) -> bool:
    routing = job.config.get("routing") or {}
    return str(routing.get("_target_", "")).endswith(PILOT_TARGET)


def order_metrics(run_dir: str, warmup_h: float) -> pd.DataFrame:
    """Per order created after the warm-up: day, region, cost, late (0/1) and NPS points."""
    o = pd.read_parquet(f"{run_dir}/{ORDERS_FILE}", columns=list(COLUMNS))
    o = o[o["created_h"] >= warmup_h]
    late = (np.nan_to_num(o["late_h"].to_numpy(float)) > 0) & (o["status"] != "cancelled")
    return pd.DataFrame(
        {
            "day": np.floor(o["created_h"].to_numpy(float) / 24.0).astype(int),
            "region": o["region"].astype(str).to_numpy(),
            "cost_per_order": o["cost"].to_numpy(float),
            "late_rate": late.astype(float),
            "nps": 100.0 * (o["promoter_p"].to_numpy(float) - o["detractor_p"].to_numpy(float)),
        }
    )


def daily_gap(frame: pd.DataFrame, regions: Sequence[str], metric: str) -> pd.Series:
    """Per day: mean of the metric in the pilot region(s) minus the rest."""
    inside = frame["region"].isin(list(regions))
    daily = frame.groupby([frame["day"], inside])[metric].mean().unstack()
    if True not in daily.columns or False not in daily.columns:
        return pd.Series(dtype=float)
    return (daily[True] - daily[False]).dropna()


def _lag1(series: pd.Series) -> float:
    if len(series) < 3 or series.std() == 0:
        return 0.0
    value = float(series.autocorr(lag=1))
    return value if math.isfinite(value) else 0.0


def pilot_frame(jobs: Sequence[Job], summary: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario x metric: the regional effect (CI), the pilot's estimate and days."""
    by_job = summary.set_index("job")
    finished = [j for j in jobs if j.status == OK and j.run_dir is not None]
    rows = []
    groups: dict[tuple[str, tuple[str, ...], str, str], list[tuple[Job, Job]]] = {}
    for job in (j for j in finished if is_pilot(j)):
        routing = job.config["routing"]
        control_name = str((routing.get("control") or {}).get("name", ""))
        treatment_name = str((routing.get("treatment") or {}).get("name", ""))
        scenario = str(by_job.loc[job.num, "scenario"])
        twin = next(
            (
                c
                for c in finished
                if c.seed == job.seed
                and not is_pilot(c)
                and c.name("routing") == control_name
                and c.name("monitoring") == job.name("monitoring")
                and str(by_job.loc[c.num, "scenario"]) == scenario
            ),
            None,
        )
        if twin is not None:
            key = (scenario, tuple(routing.get("regions") or ()), treatment_name, control_name)
            groups.setdefault(key, []).append((job, twin))
    for (scenario, regions, treatment, control), pairs in groups.items():
        rows += _analyse(scenario, regions, treatment, control, pairs)
    return pd.DataFrame(rows)


def _analyse(
    scenario: str,
    regions: tuple[str, ...],
    treatment: str,
    control: str,
    pairs: list[tuple[Job, Job]],
) -> list[dict[str, object]]:
    effects: dict[str, list[float]] = {m: [] for m in ORDER_METRICS}
    estimates: dict[str, list[float]] = {m: [] for m in ORDER_METRICS}
    sds: dict[str, list[float]] = {m: [] for m in ORDER_METRICS}
    rhos: dict[str, list[float]] = {m: [] for m in ORDER_METRICS}
    pilot_days = 0.0
    for pilot_job, control_job in pairs:
        warmup_h = 24.0 * float(pilot_job.config.get("warmup_days", 0.0))
        pilot_days = float(pilot_job.config.get("horizon_days", 0.0)) - warmup_h / 24.0
        p = order_metrics(str(pilot_job.run_dir), warmup_h)
        c = order_metrics(str(control_job.run_dir), warmup_h)
        inside_p, inside_c = p["region"].isin(regions), c["region"].isin(regions)
        for m in ORDER_METRICS:
            effects[m].append(float(p.loc[inside_p, m].mean() - c.loc[inside_c, m].mean()))
            gap_p, gap_c = daily_gap(p, regions, m), daily_gap(c, regions, m)
            estimates[m].append(float(gap_p.mean() - gap_c.mean()))
            sds[m].append(float(gap_p.std(ddof=1)) if len(gap_p) > 1 else math.nan)
            rhos[m].append(_lag1(gap_p))
    rows = []
    for m in ORDER_METRICS:
        effect = stats.t_interval(effects[m])
        sd, rho = float(np.nanmean(sds[m])), float(np.mean(rhos[m]))
        days = stats.days_for_power(effect.mean, sd, rho)
        rows.append(
            {
                "scenario": scenario,
                "regions": " ".join(regions),
                "treatment": treatment,
                "control": control,
                "kpi": m,
                "replications": effect.n,
                "regional_effect": effect.mean,
                "effect_ci_low": effect.low,
                "effect_ci_high": effect.high,
                "pilot_estimate": float(np.mean(estimates[m])),
                "daily_sd": sd,
                "lag1_autocorrelation": rho,
                "days_needed": days,
                "days_simulated": pilot_days,
                "conclusive_in_run": bool(days <= pilot_days),
            }
        )
    return rows


def pilot_words(pilots: pd.DataFrame) -> list[str]:
    """One sentence per pilot and KPI: the regional effect, and the days a real pilot needs."""
    out = []
    for row in records(pilots):
        k = info(str(row["kpi"]))
        low, high, effect = row["effect_ci_low"], row["effect_ci_high"], row["regional_effect"]
        ci = ci_words(k, low, high)
        where = f"Pilot of {row['treatment']} in {row['regions']} ({row['scenario']})"
        if not (low > 0 or high < 0):
            out.append(f"{where}: no clear effect on {k.name} ({ci}).")
            continue
        days = max(2, math.ceil(row["days_needed"]))  # a spread needs two days at least
        out.append(
            f"{where}, {row['control']} elsewhere: it {'raises' if effect > 0 else 'lowers'} "
            f"{k.name} there by {k.amount(effect)} ({ci}); a real pilot comparing the region "
            f"with the rest day by day needs about {days} days to show it (80% power, 5% level; "
            f"daily spread {k.amount(row['daily_sd'])}, lag-1 autocorrelation "
            f"{row['lag1_autocorrelation']:.2f}); these runs covered "
            f"{row['days_simulated']:.0f} days."
        )
    return out


@house_style
def pilot_chart(pilots: pd.DataFrame) -> Figure | None:
    """Left: the regional effect with its CI per KPI; right: days a pilot needs vs days run."""
    if pilots.empty:
        return None
    rows = records(pilots)
    fig = figure(ncols=2, width=10.0, height=1.6 + 0.5 * len(rows))
    effect_ax, days_ax = fig.axes
    labels = [f"{r['scenario']}: {info(str(r['kpi'])).label}" for r in rows]
    for y, r in enumerate(rows):
        scale = 100.0 if info(str(r["kpi"])).unit == "pp" else 1.0
        mid, lo, hi = (
            scale * float(r[c]) for c in ("regional_effect", "effect_ci_low", "effect_ci_high")
        )
        err = [[mid - lo], [hi - mid]] if math.isfinite(lo) else None
        effect_ax.errorbar(mid, y, xerr=err, fmt="o", color=PALETTE[0], capsize=3)
        label = info(str(r["kpi"])).show_delta(float(r["regional_effect"]))
        effect_ax.annotate(label, (mid, y), xytext=(0, 7), textcoords="offset points", ha="center")
        days = float(r["days_needed"]) if math.isfinite(r["days_needed"]) else np.nan
        days_ax.barh(y, days, color=PALETTE[1] if r["conclusive_in_run"] else PALETTE[4])
        days_ax.axvline(float(r["days_simulated"]), color=NEUTRAL, ls="--", lw=1)
    effect_ax.axvline(0.0, color="#444444", lw=0.8)
    effect_ax.set_yticks(range(len(labels)), labels)
    effect_ax.set_ylim(len(rows) - 0.5, -0.8)  # top down, room for the labels
    effect_ax.set_title("effect in the pilot region (pp for rates)", fontsize=10)
    days_ax.set_yticks(range(len(labels)), [""] * len(labels))
    days_ax.set_ylim(len(rows) - 0.5, -0.8)  # top down, room for the labels
    days_ax.set_title("days a pilot must run (dashed: days simulated)", fontsize=10)
    finite = sorted(
        (r for r in rows if math.isfinite(r["days_needed"])), key=lambda r: r["days_needed"]
    )
    if not finite:
        finding = "The pilot shows no effect a real pilot could detect"
    else:
        quick, slow = finite[0], finite[-1]
        finding = (
            f"A pilot shows the effect on {info(str(quick['kpi'])).name} in about "
            f"{max(2, math.ceil(quick['days_needed']))} days"
        )
        if slow is not quick:
            finding += (
                f"; {info(str(slow['kpi'])).name} needs about "
                f"{max(2, math.ceil(slow['days_needed']))}"
            )
    title(fig, finding, "Effect: pilot minus control on the same seeds; days: 80% power, 5% level.")
    return fig
