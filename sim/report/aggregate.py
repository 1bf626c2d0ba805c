"""Turn a sweep's jobs into tables: one row per job, then scenario x policy statistics.

A job's *scenario* is its scenario name plus any ``scenario.*`` setting the sweep varies; its
*policy* is what else the sweep varies (routing, monitoring, policy parameters); its *seed* is the
replication. Replications with the same seed share their random numbers across policies, so
policies are compared pair by pair on the same seeds (paired-t), and for three or more policies
with Hsu's comparison with the best.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.report import stats
from sim.report.kpis import HEADLINE, info
from sim.report.sweep import OK, Job

BASELINE_ROUTING, BASELINE_MONITORING = "nearest", "none"
ID_COLUMNS = (
    "job",
    "status",
    "scenario",
    "policy",
    "routing",
    "monitoring",
    "seed",
    "run_dir",
    "reason",
    "overrides",
)


@dataclass(frozen=True)
class Labels:
    scenario: dict[int, str]  # by job number
    policy: dict[int, str]


def _varying(parts: Mapping[int, Mapping[str, str]]) -> list[str]:
    """Keys whose value differs between jobs, in first-seen order."""
    keys: dict[str, set[str]] = {}
    for values in parts.values():
        for k, v in values.items():
            keys.setdefault(k, set()).add(v)
    for values in parts.values():
        for k in keys:
            if k not in values:
                keys[k].add("")
    return [k for k, seen in keys.items() if len(seen) > 1]


def _short(key: str, value: str) -> str:
    return f"{key.rsplit('.', 1)[-1]}={value}"


def label_jobs(jobs: Sequence[Job]) -> Labels:
    """Scenario and policy labels made of what the sweep varies."""
    scen_parts: dict[int, dict[str, str]] = {}
    pol_parts: dict[int, dict[str, str]] = {}
    jobs = [j for j in jobs if j.config]  # a job that never started has no config to label
    for job in jobs:
        extra = job.override_map()
        scen_parts[job.num] = {"scenario": job.name("scenario")} | {
            k: v for k, v in extra.items() if k.startswith("scenario.")
        }
        pol_parts[job.num] = {
            "routing": job.name("routing"),
            "monitoring": job.name("monitoring"),
        } | {k: v for k, v in extra.items() if k.split(".")[0] not in _GROUPS or "." in k}
        for k in [k for k in pol_parts[job.num] if k.startswith("scenario")]:
            del pol_parts[job.num][k]
    scen_vary = [k for k in _varying(scen_parts) if k != "scenario"]
    pol_vary = _varying(pol_parts)
    scenario, policy = {}, {}
    for job in jobs:
        sp, pp = scen_parts[job.num], pol_parts[job.num]
        scenario[job.num] = " ".join(
            [sp["scenario"], *(_short(k, sp[k]) for k in scen_vary if k in sp)]
        )
        shown = [pp[k] if k in _GROUPS else _short(k, pp[k]) for k in pol_vary if k in pp]
        if not shown:
            shown = [pp["routing"]] + (
                [pp["monitoring"]] if pp["monitoring"] != BASELINE_MONITORING else []
            )
        policy[job.num] = " / ".join(shown)
    return Labels(scenario, policy)


_GROUPS = ("scenario", "routing", "monitoring")


def summary_frame(jobs: Sequence[Job], sweep_dir: Path) -> pd.DataFrame:
    """One row per job (finished, failed or missing) with its labels and KPIs."""
    labels = label_jobs(jobs)
    kpi_keys: list[str] = []
    for job in jobs:
        kpi_keys += [k for k in job.kpis if k not in kpi_keys]
    rows = []
    for job in jobs:
        run_dir = job.run_dir.relative_to(sweep_dir).as_posix() if job.run_dir else ""
        row: dict[str, object] = {
            "job": job.num,
            "status": job.status,
            "scenario": labels.scenario[job.num] if job.config else "",
            "policy": labels.policy[job.num] if job.config else "",
            "routing": job.name("routing") if job.config else "",
            "monitoring": job.name("monitoring") if job.config else "",
            "seed": job.seed if job.config else _seed_from(job.overrides),
            "run_dir": run_dir,
            "reason": job.reason,
            "overrides": job.describe(),
        }
        row.update({k: job.kpis.get(k, np.nan) for k in kpi_keys})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*ID_COLUMNS, *kpi_keys])


def _seed_from(overrides: Sequence[str]) -> int:
    for o in overrides:
        if o.startswith("seed="):
            return int(o.split("=", 1)[1])
    return -1


Row = dict[str, Any]


def records(frame: pd.DataFrame) -> list[Row]:
    """Rows as plain dicts (column name -> value), for code that reads cells by name."""
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def cells_of(comparison: pd.DataFrame, kpi: str) -> dict[tuple[str, str], Row]:
    """One KPI's comparison rows keyed by (scenario, policy)."""
    rows = records(comparison[comparison["kpi"] == kpi])
    return {(str(r["scenario"]), str(r["policy"])): r for r in rows}


def kpi_columns(summary: pd.DataFrame) -> list[str]:
    return [c for c in summary.columns if c not in ID_COLUMNS]


def ordered(values: pd.Series) -> list[str]:
    """Distinct labels in order of first appearance (job order)."""
    return list(dict.fromkeys(v for v in values if v))


def choose_baseline(summary: pd.DataFrame, requested: str | None = None) -> str:
    """The reference policy: as asked, else nearest routing without monitoring, else the first."""
    policies = ordered(summary["policy"])
    if requested:
        if requested not in policies:
            raise ValueError(f"baseline policy {requested!r} is not in the sweep ({policies})")
        return requested
    default = summary[
        (summary["routing"] == BASELINE_ROUTING) & (summary["monitoring"] == BASELINE_MONITORING)
    ]
    candidates = ordered(default["policy"])
    return candidates[0] if len(candidates) == 1 else (policies[0] if policies else "")


def by_seed(finished: pd.DataFrame, scenario: str, policy: str, kpi: str) -> pd.Series:
    """One KPI's replications for a cell, indexed by seed."""
    cell = finished[(finished["scenario"] == scenario) & (finished["policy"] == policy)]
    return cell.groupby("seed")[kpi].mean().sort_index()


def paired(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    seeds = a.index.intersection(b.index)
    return a.loc[seeds].to_numpy(float), b.loc[seeds].to_numpy(float)


def comparison_frame(summary: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Scenario x policy x KPI: mean, t-CI, risk view, paired difference vs the baseline."""
    finished = summary[summary["status"] == OK]
    rows = []
    for scenario in ordered(finished["scenario"]):
        for policy in ordered(finished[finished["scenario"] == scenario]["policy"]):
            for kpi in kpi_columns(summary):
                values = by_seed(finished, scenario, policy, kpi)
                ci = stats.t_interval(values.to_numpy(float))
                risk = stats.risk_view(values.to_numpy(float), info(kpi).higher_is_better)
                row = {
                    "scenario": scenario,
                    "policy": policy,
                    "kpi": kpi,
                    "n": ci.n,
                    "mean": ci.mean,
                    "sd": ci.sd,
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                    "half_width": ci.half_width,
                    "best": risk.best,
                    "worst": risk.worst,
                    "p5": risk.p5,
                    "p95": risk.p95,
                    "baseline": baseline,
                }
                row.update(_versus_baseline(finished, scenario, policy, baseline, kpi, values))
                rows.append(row)
    return pd.DataFrame(rows)


def _versus_baseline(
    finished: pd.DataFrame,
    scenario: str,
    policy: str,
    baseline: str,
    kpi: str,
    values: pd.Series,
) -> dict[str, float]:
    empty = {
        "diff_mean": np.nan,
        "diff_ci_low": np.nan,
        "diff_ci_high": np.nan,
        "diff_p_value": np.nan,
        "n_pairs": 0,
    }
    if policy == baseline:
        return empty
    ref = by_seed(finished, scenario, baseline, kpi)
    treat, base = paired(values, ref)
    if len(treat) == 0:
        return empty
    d = stats.paired_difference(treat, base)
    return {
        "diff_mean": d.interval.mean,
        "diff_ci_low": d.interval.low,
        "diff_ci_high": d.interval.high,
        "diff_p_value": d.p_value,
        "n_pairs": d.interval.n,
    }


def best_frame(summary: pd.DataFrame, kpis: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """Comparison with the best (Hsu's MCB) per scenario and KPI, where 3+ policies ran."""
    finished = summary[summary["status"] == OK]
    rows = []
    for scenario in ordered(finished["scenario"]):
        policies = ordered(finished[finished["scenario"] == scenario]["policy"])
        if len(policies) < 3:
            continue
        for kpi in (k for k in kpis if k in summary.columns):
            direction = info(kpi).higher_is_better
            if direction is None:
                continue
            table = pd.DataFrame({p: by_seed(finished, scenario, p, kpi) for p in policies})
            table = table.dropna()
            if len(table) < 2 or np.ptp(table.to_numpy(float)) == 0:
                continue  # too few common seeds, or nothing to tell apart (all zero, say)
            samples = {p: table[p].to_numpy(float) for p in policies}
            for verdict in stats.compare_with_best(samples, direction):
                rows.append(
                    {
                        "scenario": scenario,
                        "kpi": kpi,
                        "policy": verdict.name,
                        "mean": float(table[verdict.name].mean()),
                        "mcb_low": verdict.low,
                        "mcb_high": verdict.high,
                        "can_be_best": verdict.can_be_best,
                        "is_best": verdict.is_best,
                        "n": len(table),
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "kpi",
            "policy",
            "mean",
            "mcb_low",
            "mcb_high",
            "can_be_best",
            "is_best",
            "n",
        ],
    )


def advice_frame(comparison: pd.DataFrame, half_widths: Mapping[str, float]) -> pd.DataFrame:
    """Replications each cell needs for the half-width asked, where it has too few."""
    rows = []
    for kpi, target in half_widths.items():
        cells = comparison[comparison["kpi"] == kpi]
        for cell in records(cells):
            sd, n = float(cell["sd"]), int(cell["n"])
            if n < 2 or not np.isfinite(sd):
                continue
            needed = stats.replications_needed(sd, n, target)
            rows.append(
                {
                    "scenario": cell["scenario"],
                    "policy": cell["policy"],
                    "kpi": kpi,
                    "n": n,
                    "half_width": float(cell["half_width"]),
                    "target_half_width": target,
                    "replications_needed": needed,
                    "enough": needed <= n,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "policy",
            "kpi",
            "n",
            "half_width",
            "target_half_width",
            "replications_needed",
            "enough",
        ],
    )
