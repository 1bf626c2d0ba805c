"""Build every report file of a sweep dir from what its jobs wrote.

``build_report(sweep_dir)`` writes ``summary.csv`` (one row per job, failed and missing ones
named), ``comparison.csv`` (scenario x policy x KPI), ``scorecard.csv`` (its headline differences,
Holm-corrected), ``best.csv``, ``replications.csv``, ``warmup.csv``, ``comparison.xlsx``,
``charts/*.png`` and ``report.html``. The same sweep dir gives the same bytes every time: stable
ordering, no timestamps, pinned PNG and XLSX metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from sim.io.safe import check_no_symlinks, make_dirs, write_text
from sim.report import findings, pilot, scorecard
from sim.report.aggregate import (
    advice_frame,
    best_frame,
    choose_baseline,
    comparison_frame,
    ordered,
    ranges,
    summary_frame,
)
from sim.report.chart_registry import CHARTS, ChartData
from sim.report.html import (
    Chart,
    best_table,
    heading,
    headline_table,
    note,
    render,
    scorecard_table,
    table,
)
from sim.report.kpis import DEFAULT_HALF_WIDTHS, HEADLINE
from sim.report.method import co2e_rows, method_rows
from sim.report.series import warmup_frame
from sim.report.style import save
from sim.report.sweep import OK, Job, read_sweep
from sim.report.xlsx import write_workbook

CSV_FLOAT = "%.10g"
TABLE_KPIS = 5  # headline KPIs in the HTML detail tables (all are in comparison.csv/.xlsx)


class ReportError(RuntimeError):
    """The sweep dir cannot be reported on (nothing in it looks like a job)."""


@dataclass
class Report:
    """What was written, and which jobs were left out."""

    sweep_dir: Path
    files: list[Path] = field(default_factory=list)
    not_finished: list[Job] = field(default_factory=list)
    jobs: int = 0
    scorecard: scorecard.Scorecard | None = None


def build_report(
    sweep_dir: str | Path,
    baseline: str | None = None,
    half_widths: Mapping[str, float] | None = None,
) -> Report:
    """Read the job dirs and write every report file into ``sweep_dir``."""
    root = Path(sweep_dir)
    jobs = read_sweep(root)
    if not jobs:
        raise ReportError(f"{root}: no job dirs (.hydra/config.yaml) and no multirun.yaml")
    summary = summary_frame(jobs, root)
    if not (summary["status"] == OK).any():
        raise ReportError(f"{root}: none of {len(jobs)} jobs finished (no kpis.json)")
    base = choose_baseline(summary, baseline)
    planned = comparison_frame(summary, base)  # every planned cell: the files and the scorecard
    gaps = zip(planned["missing_seeds"], planned["n_planned"], strict=True)
    ran = [len(missing.split()) < n for missing, n in gaps]
    comparison = planned[ran]  # cells with a finished run: charts, findings, detail tables
    card = scorecard.scorecard(planned)
    best = best_frame(summary)
    advice = advice_frame(comparison, half_widths or DEFAULT_HALF_WIDTHS)
    warmup = warmup_frame(jobs, summary[["job", "scenario", "policy"]])
    pilots = pilot.pilot_frame(jobs, summary)
    report = Report(
        root, jobs=len(jobs), not_finished=[j for j in jobs if j.status != OK], scorecard=card
    )
    tables = [  # (CSV file, workbook sheet, table), in the workbook's order
        ("comparison.csv", "Comparison", planned),
        ("scorecard.csv", "Scorecard", card.cells),
        ("best.csv", "Best", best),
        ("replications.csv", "Replications", advice),
        ("warmup.csv", "Warm-up", warmup),
        *([("pilot.csv", "Pilot", pilots)] if not pilots.empty else []),
        ("summary.csv", "Jobs", summary),
    ]
    # the sweep dir is untrusted: nothing below it is written through a planted symbolic link
    for name, _, frame in tables:
        text = frame.to_csv(index=False, float_format=CSV_FLOAT, lineterminator="\n")
        report.files.append(write_text(root / name, text, root))
    sheets = {sheet: frame for _, sheet, frame in tables}
    check_no_symlinks(root / "comparison.xlsx", root)
    report.files.append(write_workbook(root / "comparison.xlsx", base, sheets))
    chart_list = _charts(root, ChartData(jobs, summary, comparison, base, pilots))
    report.files += [c.path for c in chart_list]
    summary_lines = findings.executive_summary(
        summary, comparison, best, advice, warmup, base, extra=pilot.pilot_words(pilots)
    )
    page = render(
        "Order-fulfilment policy comparison",
        setup_line(root.name, jobs, summary, base),
        _card(card, [f"{k}: {v}." for k, v in co2e_rows(summary[summary["status"] == OK])]),
        card.sentences,
        summary_lines,
        _settings(jobs, summary, base, warmup),
        chart_list,
        _sections(summary, comparison, best, advice, warmup, pilots),
    )
    html_path = write_text(root / "report.html", page, root)
    report.files.append(html_path)
    return report


def setup_line(name: str, jobs: list[Job], summary: pd.DataFrame, baseline: str) -> str:
    """The sweep in one line: what crossed what, how long, what finished, against what."""
    finished = summary[summary["status"] == OK]
    config: dict[str, Any] = next(j for j in jobs if j.status == OK).config
    words = {"scenario": "scenarios", "policy": "policies", "seed": "seeds"}
    planned = summary[summary["scenario"].fillna("") != ""]  # finished or not
    counts = {w: planned[w].nunique() for w in words}
    crossed = " x ".join(f"{n} {w if n == 1 else words[w]}" for w, n in counts.items())
    return (
        f"Sweep {name}: {crossed}, {_days(config.get('horizon_days'))} each after "
        f"{_days(config.get('warmup_days'))} of warm-up; {len(finished)} of {len(jobs)} "
        f"runs finished; differences are paired by seed against {baseline}."
    )


def _days(value: object) -> str:
    """``28.0`` -> ``28 days``, ``1`` -> ``1 day``; not a number (no such key): as it is."""
    shown = f"{value:g}" if isinstance(value, int | float) else str(value)
    return f"{shown} day" if shown == "1" else f"{shown} days"


def _card(card: scorecard.Scorecard, warnings: list[str]) -> Markup:
    """The scorecard with its reading note; ``warnings`` (a KPI partly unknown) right under it."""
    if card.cells.empty:
        return note("One policy only: nothing to compare with the baseline.")
    reading = note(
        f"Difference from {card.baseline} (same seeds, paired). Green: better, orange: "
        "worse, only where significant at 5% after Holm's correction within each scenario "
        "and KPI across the policies; grey: not distinguishable from no difference. Below "
        "each: the paired 95% interval (uncorrected)."
    )
    gaps = [card.warning()] if card.incomplete else []  # before the table: read it first
    return (
        Markup("").join(note(w) for w in gaps)
        + reading
        + scorecard_table(card)
        + Markup("").join(note(w) for w in warnings)
    )


def _charts(root: Path, data: ChartData) -> list[Chart]:
    """Every chart of the registry that has something to show, as charts/<name>.png."""
    out_dir = make_dirs(root / "charts", root)  # the sweep dir is untrusted: no link followed
    for old in sorted(out_dir.glob("*.png")):
        old.unlink()  # a link is removed, never followed
    out = []
    for spec in CHARTS:
        fig = spec.figure(data)
        if fig is not None:
            caption = spec.caption.format(baseline=data.baseline)
            check_no_symlinks(out_dir / f"{spec.name}.png", root)
            out.append(Chart(save(fig, out_dir / f"{spec.name}.png"), caption))
    return out


def _settings(
    jobs: list[Job], summary: pd.DataFrame, baseline: str, warmup: pd.DataFrame
) -> list[tuple[str, str]]:
    finished = summary[summary["status"] == OK]
    config: dict[str, Any] = next(j for j in jobs if j.status == OK).config
    experiment = next(
        (o.split("=", 1)[1] for o in jobs[0].overrides if o.startswith("experiment=")), "(none)"
    )
    cell_sizes = finished.groupby(["scenario", "policy"]).size()
    seeds = sorted(int(s) for s in finished["seed"].unique())
    return [
        ("experiment", experiment),
        ("scenarios", ", ".join(ordered(finished["scenario"]))),
        ("policies", ", ".join(ordered(finished["policy"]))),
        ("baseline policy (reference for differences)", baseline),
        ("seeds (common random numbers across policies)", ranges(seeds)),
        ("replications per scenario x policy", f"{cell_sizes.min()} to {cell_sizes.max()}"),
        ("jobs", f"{len(jobs)} ({len(finished)} finished, {len(jobs) - len(finished)} not)"),
        ("horizon", f"{config.get('horizon_days')} days"),
        (
            "warm-up",
            f"{config.get('warmup_days')} days discarded; checked by MSER-5 ({len(warmup)} runs)",
        ),
        *method_rows(config, finished),
        ("confidence intervals", "95%, Student t over replications; differences paired by seed"),
        ("comparison with the best", "Hsu's MCB with Bonferroni paired intervals, 3+ policies"),
    ]


def _sections(
    summary: pd.DataFrame,
    comparison: pd.DataFrame,
    best: pd.DataFrame,
    advice: pd.DataFrame,
    warmup: pd.DataFrame,
    pilots: pd.DataFrame,
) -> list[tuple[str, Markup]]:
    kpis = [k for k in HEADLINE if k in set(comparison["kpi"])][:TABLE_KPIS]
    detail = Markup("").join(
        heading(scenario) + headline_table(comparison, scenario, kpis)
        for scenario in ordered(comparison["scenario"])
    )
    sections = [
        (
            "Results by scenario",
            note(
                "Mean [95% CI]; second line: paired difference against the baseline [95% CI] "
                "and its p-value, coloured where that interval excludes zero (not corrected for "
                "the number of policies, unlike the scorecard)."
            )
            + detail,
        ),
    ]
    if not best.empty:
        sections.append(("Comparison with the best", best_table(best)))
    risk = comparison[comparison["kpi"].isin(kpis)][
        ["scenario", "policy", "kpi", "best", "mean", "worst", "p5", "p95"]
    ]
    sections.append(("Risk view (across replications)", table(risk.round(4))))
    if not advice.empty:
        sections.append(("Replications needed", table(advice.round(4))))
    if not warmup.empty:
        per = warmup.groupby("scenario", sort=False).agg(
            runs=("job", "size"),
            warmup_used_h=("warmup_used_h", "max"),
            mser5_median_h=("mser5_warmup_h", "median"),
            mser5_max_h=("mser5_warmup_h", "max"),
            settled_runs=("settled", "sum"),
        )
        sections.append(
            ("Warm-up (MSER-5 on every series feeding the KPIs)", table(per.reset_index()))
        )
    if not pilots.empty:
        sections.append(("Regional pilot", table(pilots.round(4))))
    jobs = summary[["job", "status", "scenario", "policy", "seed", "run_dir", "reason"]]
    failed = jobs[jobs["status"] != OK]
    if not failed.empty:  # first: what is missing from every number below
        reasons = failed[
            ["job", "status", "scenario", "policy", "seed", "run_dir", "reason"]
        ].replace({np.nan: ""})
        words = f"{len(failed)} of {len(jobs)} jobs did not finish; the tables leave them out."
        sections.insert(0, ("Jobs that did not finish", note(words) + table(reasons)))
    sections.append(("Jobs", table(jobs.replace({np.nan: ""}))))
    return sections
