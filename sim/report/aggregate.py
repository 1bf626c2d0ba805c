"""Turn a sweep's jobs into tables: one row per job, then scenario x policy statistics.

A job's *scenario* is its scenario name plus any ``scenario.*`` setting the sweep varies; its
*policy* is what else the sweep varies (routing, monitoring, policy parameters); its *seed* is the
replication. Replications with the same seed share their random numbers across policies, so
policies are compared pair by pair on the same seeds (paired-t), and for three or more policies
with Hsu's comparison with the best.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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


def _choices(job: Job) -> dict[str, str]:
    """The option the job's overrides choose for each config group (``routing=rules``)."""
    mapped = job.override_map()
    return {g: mapped[g] for g in _GROUPS if g in mapped}


def with_stand_ins(jobs: Sequence[Job]) -> list[Job]:
    """The jobs, each one that has no config (never started, or its config unreadable) given a
    stand-in made from its overrides, so that it is labelled with the scenario x policy x seed
    cell it was meant to fill: a group's name is that of a job that chose the same option (else
    the option's own name), the seed its override's (else the one every other job ran)."""
    names: dict[tuple[str, str | None], str] = {}
    seeds = {j.seed for j in jobs if j.config and "seed" not in dict(_pairs(j.overrides))}
    for job in (j for j in jobs if j.config):
        choices = _choices(job)
        for group in _GROUPS:
            names.setdefault((group, choices.get(group)), job.name(group))
    out = []
    for job in jobs:
        if job.config or job.num < 0:  # a job of unknown identity stays unlabelled
            out.append(job)
            continue
        choices = _choices(job)
        config: dict[str, Any] = {
            g: {"name": names.get((g, choices.get(g)), choices.get(g, "?"))} for g in _GROUPS
        }
        seed = _seed_from(job.overrides)
        config["seed"] = seed if seed >= 0 or len(seeds) != 1 else next(iter(seeds))
        out.append(replace(job, config=config))
    return out


def _pairs(overrides: Sequence[str]) -> list[tuple[str, str]]:
    return [(k, v) for k, _, v in (o.lstrip("+~").partition("=") for o in overrides)]


def summary_frame(jobs: Sequence[Job], sweep_dir: Path) -> pd.DataFrame:
    """One row per job (finished, failed, interrupted or missing) with its scenario x policy x
    seed cell (a job that never started: the cell it was meant to fill) and its KPIs."""
    jobs = with_stand_ins(jobs)
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
            "seed": job.seed if job.config else -1,
            "run_dir": run_dir,
            "reason": job.reason,
            "overrides": job.describe(),
        }
        row.update({k: job.kpis.get(k, np.nan) for k in kpi_keys})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*ID_COLUMNS, *kpi_keys])


def _seed_from(overrides: Sequence[str]) -> int:
    for key, value in _pairs(overrides):
        if key == "seed":
            try:
                return int(value)
            except ValueError:  # overrides from an untrusted multirun.yaml
                return -1
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


def planned_seeds(summary: pd.DataFrame) -> dict[tuple[str, str], tuple[list[int], list[int]]]:
    """Per scenario x policy cell the sweep meant to fill (in job order): the seeds planned and
    those that did not finish (failed, interrupted or never started)."""
    labelled = summary[summary["scenario"].fillna("") != ""]
    out: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for scenario in ordered(labelled["scenario"]):
        mine = labelled[labelled["scenario"] == scenario]
        for policy in ordered(mine["policy"]):
            cell = mine[mine["policy"] == policy]
            seeds = sorted({int(s) for s in cell["seed"]})
            done = {int(s) for s in cell[cell["status"] == OK]["seed"]}
            out[(scenario, policy)] = (seeds, [s for s in seeds if s not in done])
    return out


def ranges(values: Sequence[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``1-3, 5``."""
    ints = sorted(int(v) for v in values)
    parts, start = [], 0
    for i in range(1, len(ints) + 1):
        if i == len(ints) or ints[i] != ints[i - 1] + 1:
            first, last = ints[start], ints[i - 1]
            parts.append(f"{first}" if first == last else f"{first}-{last}")
            start = i
    return ", ".join(parts)


def seed_words(seeds: Sequence[int]) -> str:
    """``[2]`` -> ``seed 2``, ``[1, 2, 3, 5]`` -> ``seeds 1-3, 5``."""
    return ("seed " if len(seeds) == 1 else "seeds ") + ranges(seeds)


def cell_gaps(comparison: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Per scenario x policy of a comparison table, what did not finish that its figures need —
    its own seeds, and the baseline's its differences pair with — in words (``seed 2 of
    cheapest``); "" where nothing is missing. A table written before cells recorded their missing
    seeds (no ``missing_seeds`` column) has none to name."""
    if "missing_seeds" not in comparison.columns or comparison.empty:
        return {}
    own: dict[tuple[str, str], list[int]] = {}
    for r in records(comparison.drop_duplicates(["scenario", "policy"])):
        value = r["missing_seeds"]
        text: str = "" if pd.isna(value) else str(value)  # "2" may come back as 2 or 2.0
        own[(str(r["scenario"]), str(r["policy"]))] = [int(float(x)) for x in text.split()]
    baseline = str(comparison["baseline"].iloc[0])
    out: dict[tuple[str, str], str] = {}
    for (scenario, policy), seeds in own.items():
        words = [f"{seed_words(seeds)} of {policy}"] if seeds else []
        base = own.get((scenario, baseline), []) if policy != baseline else []
        words += [f"{seed_words(base)} of {baseline} (the baseline)"] if base else []
        out[(scenario, policy)] = " and ".join(words)
    return out


def runs_words(gap: str) -> str:
    """A row's runs in a table's ``runs`` column: ``all finished`` or what did not."""
    return f"incomplete: {gap} did not finish" if gap else "all finished"


def comparison_frame(summary: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Scenario x policy x KPI: mean, t-CI, risk view, paired difference vs the baseline; for
    every cell the sweep planned, finished or not (``n`` 0: none of its runs finished), with the
    seeds planned, those that did not finish, and whether the row is ``complete``: its own seeds
    and, for a difference, the baseline's all finished."""
    finished = summary[summary["status"] == OK]
    planned = planned_seeds(summary)
    rows = []
    for (scenario, policy), (seeds, missing) in planned.items():
        base_missing = planned.get((scenario, baseline), ([], []))[1]
        cell = {
            "n_planned": len(seeds),
            "missing_seeds": " ".join(str(s) for s in missing),
            "complete": not missing and (policy == baseline or not base_missing),
        }
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
            rows.append(row | cell)
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
