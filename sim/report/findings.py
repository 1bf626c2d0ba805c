"""Findings in plain words, each with its 95% confidence interval: the report's executive summary
and the titles of its charts.

A difference is called a change only when its interval excludes zero; otherwise the sentence says
the runs cannot tell it from no change. Differences between policies are paired by seed (common
random numbers); so are differences between scenarios, which share demand and seeds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.report import stats
from sim.report.aggregate import by_seed, cells_of, ordered, paired, records, seed_words
from sim.report.kpis import KpiInfo, info

POLICY_KPIS = ("cost_per_order", "nps", "on_time_rate")
SCENARIO_KPIS = ("on_time_rate", "cost_per_order", "nps", "delivery_time_p90_h")


def ci_words(k: KpiInfo, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no CI: too few replications"
    return f"95% CI {k.show_delta(low)} to {k.show_delta(high)}"


def difference_words(kpi: str, mean: float, low: float, high: float, versus: str = "") -> str:
    """``lowers cost per order by 0.42 USD (95% CI 0.31 to 0.53 USD), better``, or no change."""
    k = info(kpi)
    against = f" against {versus}" if versus else ""
    clear = math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0)
    if not clear:
        return (
            f"changes {k.name} by {k.show_delta(mean)}{against} ({ci_words(k, low, high)}): "
            "not distinguishable from no change"
        )
    verb = "raises" if mean > 0 else "lowers"
    near, far = sorted((abs(low), abs(high)))
    span = f"95% CI {k.amount(near).split()[0]} to {k.amount(far)}"
    judged = k.better(mean)
    tag = "" if judged is None else (", better" if judged else ", worse")
    return f"{verb} {k.name} by {k.amount(mean)}{against} ({span}){tag}"


def _clear(row: Mapping[str, Any]) -> bool:
    return bool(row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0)


def _span(k: KpiInfo, values: Sequence[float]) -> str:
    low, high = min(values), max(values)
    return (
        k.show_delta(low)
        if k.show_delta(low) == k.show_delta(high)
        else (f"{k.show_delta(low)} to {k.show_delta(high)}")
    )


def headline_findings(comparison: pd.DataFrame, baseline: str) -> list[str]:
    """Across scenarios: who leads each headline KPI, by how much, and at what price."""
    scenarios = ordered(comparison["scenario"])
    if len(ordered(comparison["policy"])) < 2:
        return []
    out = []
    for kpi in (k for k in POLICY_KPIS if k in set(comparison["kpi"])):
        k, cells = info(kpi), cells_of(comparison, kpi)
        leaders = {s: leader(comparison, s, kpi) for s in scenarios}
        tops = set(leaders.values())
        if len(tops) > 1:
            who = "; ".join(f"{s}: {p}" for s, p in leaders.items())
            out.append(f"The best {k.name} depends on the scenario ({who}).")
            continue
        top = tops.pop()
        if top is None or top == baseline:
            out.append(f"No policy beats {baseline} on {k.name} in any scenario.")
            continue
        rows = [cells[(s, top)] for s in scenarios if (s, top) in cells]
        clear = sum(_clear(r) for r in rows)
        where = "every scenario" if len(rows) > 1 else scenarios[0]
        envelope = _span(
            k, [min(r["diff_ci_low"] for r in rows), max(r["diff_ci_high"] for r in rows)]
        )
        verdict = (
            f"all {len(rows)} exclude" if clear == len(rows) else f"{clear} of {len(rows)} exclude"
        )
        if clear == 0:
            out.append(
                f"No policy clearly beats {baseline} on {k.name}: the best mean, {top}'s, "
                f"differs by {_span(k, [r['diff_mean'] for r in rows])} "
                f"(95% CIs within {envelope})."
            )
            continue
        sentence = (
            f"{top} has the best {k.name} in {where}: {_span(k, [r['diff_mean'] for r in rows])}"
            f" against {baseline} (95% CIs within {envelope}; {verdict} no change)"
        )
        others = [o for o in POLICY_KPIS if o != kpi and o in set(comparison["kpi"])]
        prices = []
        for other in others:
            o, o_cells = info(other), cells_of(comparison, other)
            diffs = [o_cells[(s, top)]["diff_mean"] for s in scenarios if (s, top) in o_cells]
            prices.append(f"{o.name} by {_span(o, diffs)}")
        changes = f"; meanwhile it changes {' and '.join(prices)}" if prices else ""
        out.append(sentence + changes + ".")
    return out


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
        "; more replications may"
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
                f"The {scenario} scenario against {reference} (policy {baseline}, paired by seed): "
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
    median_h = float(np.median(warmup["mser5_warmup_h"]))
    worst = warmup.iloc[int(np.argmax(warmup["mser5_warmup_h"].to_numpy()))]
    worst_h = float(worst["mser5_warmup_h"])
    verdict = (
        "enough"
        if worst_h <= used
        else "shorter than MSER-5's cut in some runs: consider more warm-up"
    )
    found = (
        "finds no start-up transient that stands out from the daily cycle"
        if worst_h == 0
        else f"cuts a median of {median_h:.0f} h (largest {worst_h:.0f} h, on "
        f"{str(worst['mser5_series']).replace('_', ' ')})"
    )
    restless = warmup[~warmup["settled"]]
    caveat = (
        f" In {len(restless)} of {len(warmup)} runs some series never settle "
        f"({', '.join(sorted(set(' '.join(restless['unsettled']).split())))[:120]}): "
        "their cut is not counted."
        if len(restless)
        else ""
    )
    return (
        f"Warm-up: the first {used:.0f} h of each run are discarded; MSER-5 on every series "
        f"that feeds the KPIs (pick backlog, dock, back-orders, stock, parcels in transit, late "
        f"orders; network and per warehouse) {found} over {len(warmup)} runs, so the warm-up "
        f"used is {verdict}.{caveat}"
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
                f"+/-{k.amount(target)} everywhere."
            )
        else:
            worst = max(records(short), key=lambda r: int(r["replications_needed"]))
            out.append(
                f"Replications: for {k.name} within +/-{k.amount(target)}, "
                f"{len(short)} of {len(cells)} cells need more runs (up to "
                f"{int(worst['replications_needed'])} for {worst['scenario']} / {worst['policy']},"
                f" now {int(worst['n'])} giving +/-{k.amount(float(worst['half_width']))})."
            )
    return out


def failure_words(summary: pd.DataFrame) -> list[str]:
    """Which scenario x policy x seed cells did not finish, and how (failed, interrupted, never
    started): every figure below leaves them out."""
    bad = summary[summary["status"] != "ok"]
    if bad.empty:
        return []
    parts = []
    for status in ordered(bad["status"]):
        mine = bad[bad["status"] == status]
        cells = [
            f"{scenario} / {policy} {seed_words(list(group['seed']))}"
            for (scenario, policy), group in mine.groupby(["scenario", "policy"], sort=False)
            if scenario
        ]
        unknown = int((mine["scenario"].fillna("") == "").sum())  # unreadable: cell unknown
        cells += [f"{unknown} job(s) of unknown cell"] if unknown else []
        parts.append(f"{status}: {'; '.join(cells)}")
    return [
        f"{len(bad)} of {len(summary)} jobs did not finish and are left out "
        f"({'; '.join(parts)}). Every figure uses only the finished jobs."
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
        *headline_findings(comparison, baseline),
        *scenario_findings(summary, baseline),
        *extra,
        *risk_findings(comparison, baseline),
        *policy_findings(comparison, best, baseline),
        warmup_words(warmup),
        *advice_words(advice),
    ]
