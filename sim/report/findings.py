"""Findings in plain words, each with its 95% confidence interval: the report's executive summary
and the titles of its charts.

A difference is called a change only when its interval excludes zero; otherwise the sentence says
the runs cannot tell it from no change. Differences between policies are paired by seed (common
random numbers); so are differences between scenarios, which share demand and seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.report import stats
from sim.report.aggregate import by_seed, cells_of, ordered, paired, records
from sim.report.kpis import KpiInfo, info

POLICY_KPIS = ("cost_per_order", "nps", "on_time_rate")
SCENARIO_KPIS = ("on_time_rate", "cost_per_order", "nps", "delivery_time_p90_h")


def amount(k: KpiInfo, value: float) -> str:
    """A magnitude in the KPI's spoken unit: ``0.42 USD``, ``1.3 points``, ``2.1 pp``."""
    v = abs(value)
    if k.unit == "pp":
        return f"{100 * v:.1f} pp"
    if k.unit == "USD":
        return f"{v:.2f} USD"
    if k.unit in ("points", "h"):
        return f"{v:.1f} {k.unit}"
    return f"{v:.3g}"


def signed(k: KpiInfo, value: float) -> str:
    return ("-" if value < 0 else "+") + amount(k, value)


def ci_words(k: KpiInfo, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no CI: too few replications"
    return f"95% CI {signed(k, low)} to {signed(k, high)}"


def difference_words(kpi: str, mean: float, low: float, high: float, versus: str = "") -> str:
    """``lowers cost per order by 0.42 USD (95% CI 0.31 to 0.53 USD), better``, or no change."""
    k = info(kpi)
    against = f" against {versus}" if versus else ""
    clear = math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0)
    if not clear:
        return (
            f"{k.name} {signed(k, mean)}{against} ({ci_words(k, low, high)}): "
            "not distinguishable from no change"
        )
    verb = "raises" if mean > 0 else "lowers"
    near, far = sorted((abs(low), abs(high)))
    span = f"95% CI {amount(k, near).split()[0]} to {amount(k, far)}"
    judged = k.better(mean)
    tag = "" if judged is None else (", better" if judged else ", worse")
    return f"{verb} {k.name} by {amount(k, mean)}{against} ({span}){tag}"


def leader(comparison: pd.DataFrame, scenario: str, kpi: str) -> str | None:
    """The policy with the best mean of a KPI in a scenario (None without a direction)."""
    k = info(kpi)
    cells = comparison[(comparison["scenario"] == scenario) & (comparison["kpi"] == kpi)]
    cells = cells.dropna(subset=["mean"])
    if k.higher_is_better is None or cells.empty:
        return None
    rows = records(cells)
    pick = (max if k.higher_is_better else min)(rows, key=lambda r: float(r["mean"]))
    return str(pick["policy"])


def policy_findings(comparison: pd.DataFrame, best: pd.DataFrame, baseline: str) -> list[str]:
    """Per scenario: which policy leads each headline KPI, by how much against the baseline."""
    out = []
    for scenario in ordered(comparison["scenario"]):
        policies = ordered(comparison[comparison["scenario"] == scenario]["policy"])
        if len(policies) < 2:
            continue
        for kpi in (k for k in POLICY_KPIS if k in set(comparison["kpi"])):
            top = leader(comparison, scenario, kpi)
            if top is None:
                continue
            row = cells_of(comparison, kpi)[(scenario, top)]
            k = info(kpi)
            head = f"{scenario}: {top} has the best {k.name}, {k.spoken(row['mean'])}"
            head += f" (95% CI {k.show(row['ci_low'])} to {k.spoken(row['ci_high'])})"
            if top == baseline:
                sentence = f"{head}; no policy beats the baseline {baseline} on it"
            else:
                sentence = f"{head}; it " + difference_words(
                    kpi, row["diff_mean"], row["diff_ci_low"], row["diff_ci_high"], baseline
                )
            sentence += mcb_words(best, scenario, kpi) + "."
            out.append(sentence)
    return out


def mcb_words(best: pd.DataFrame, scenario: str, kpi: str) -> str:
    cells = best[(best["scenario"] == scenario) & (best["kpi"] == kpi)]
    if cells.empty:
        return ""
    contenders = list(cells[cells["can_be_best"]]["policy"])
    if len(contenders) == 1:
        return "; the comparison with the best (95%) confirms it is the best"
    return (
        f"; the comparison with the best (95%) cannot separate {', '.join(contenders)}"
        " - more replications would"
    )


def scenario_findings(summary: pd.DataFrame, baseline: str) -> list[str]:
    """How each scenario moves the headline KPIs against the first scenario, under the baseline."""
    finished = summary[summary["status"] == "ok"]
    scenarios = ordered(finished["scenario"])
    if len(scenarios) < 2:
        return []
    reference = scenarios[0]
    out = []
    for scenario in scenarios[1:]:
        parts = []
        for kpi in (k for k in SCENARIO_KPIS if k in finished.columns):
            a, b = paired(
                by_seed(finished, scenario, baseline, kpi),
                by_seed(finished, reference, baseline, kpi),
            )
            if len(a) == 0:
                continue
            d = stats.paired_difference(a, b).interval
            parts.append(difference_words(kpi, d.mean, d.low, d.high))
        if parts:
            out.append(
                f"{scenario} against {reference} (policy {baseline}, paired by seed): "
                + "; ".join(parts)
                + "."
            )
    return out


def risk_findings(comparison: pd.DataFrame, baseline: str, kpi: str = "on_time_rate") -> list[str]:
    """The worst scenario for a KPI under the baseline: mean against worst replication and p5."""
    k = info(kpi)
    cells = comparison[(comparison["policy"] == baseline) & (comparison["kpi"] == kpi)]
    cells = cells.dropna(subset=["mean"])
    if cells.empty or k.higher_is_better is None:
        return []
    row = (min if k.higher_is_better else max)(records(cells), key=lambda r: float(r["mean"]))
    return [
        f"Risk: in {row['scenario']} under {baseline}, {k.name} averages {k.spoken(row['mean'])}"
        f" but the worst of {int(row['n'])} replications had {k.spoken(row['worst'])}"
        f" (5th-95th percentile {k.show(row['p5'])} to {k.show(row['p95'])})."
    ]


def warmup_words(warmup: pd.DataFrame) -> str:
    if warmup.empty:
        return "Warm-up: no time series to check."
    used = float(warmup["warmup_used_h"].max())
    calm = warmup[warmup["settled"]]
    if calm.empty:
        return (
            f"Warm-up: {used:.0f} h discarded; MSER-5 found no settled backlog in any run "
            "(the scenarios' disruptions keep it moving), so the warm-up rests on the stated value."
        )
    median_h = float(np.median(calm["mser5_warmup_h"]))
    worst_h = float(calm["mser5_warmup_h"].max())
    verdict = (
        "enough"
        if worst_h <= used
        else "shorter than MSER-5's cut in some runs: consider more warm-up"
    )
    found = (
        "finds no start-up transient that stands out from the daily cycle"
        if median_h == 0
        else f"cuts a median of {median_h:.0f} h"
    )
    return (
        f"Warm-up: the first {used:.0f} h of each run are discarded; MSER-5 on the hourly pick "
        f"backlog {found} (largest cut {worst_h:.0f} h over {len(calm)} runs that settle), so "
        f"the warm-up used is {verdict}."
    )


def advice_words(advice: pd.DataFrame) -> list[str]:
    out = []
    for kpi in ordered(advice["kpi"]) if not advice.empty else []:
        cells = advice[advice["kpi"] == kpi]
        short = cells[~cells["enough"]]
        k = info(kpi)
        target = float(cells["target_half_width"].iloc[0])
        if short.empty:
            out.append(
                f"Replications: {int(cells['n'].min())} per cell give {k.name} within "
                f"+/-{amount(k, target)} everywhere."
            )
        else:
            worst = max(records(short), key=lambda r: int(r["replications_needed"]))
            out.append(
                f"Replications: for {k.name} within +/-{amount(k, target)}, "
                f"{len(short)} of {len(cells)} cells need more runs (up to "
                f"{int(worst['replications_needed'])} for {worst['scenario']} / {worst['policy']},"
                f" now {int(worst['n'])} giving +/-{amount(k, float(worst['half_width']))})."
            )
    return out


def failure_words(summary: pd.DataFrame) -> list[str]:
    bad = summary[summary["status"] != "ok"]
    if bad.empty:
        return []
    names = ", ".join(f"job {int(r['job'])} ({r['status']})" for r in records(bad))
    return [
        f"{len(bad)} of {len(summary)} jobs did not finish and are left out: {names}. "
        "Every figure uses only the finished jobs."
    ]


def executive_summary(
    summary: pd.DataFrame,
    comparison: pd.DataFrame,
    best: pd.DataFrame,
    advice: pd.DataFrame,
    warmup: pd.DataFrame,
    baseline: str,
    extra: Sequence[str] = (),
) -> list[str]:
    """The report's opening sentences, most important first."""
    return [
        *failure_words(summary),
        *policy_findings(comparison, best, baseline),
        *scenario_findings(summary, baseline),
        *extra,
        *risk_findings(comparison, baseline),
        warmup_words(warmup),
        *advice_words(advice),
    ]
