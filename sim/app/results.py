"""Reading what sweeps and now-casts wrote, for the results pages: nothing here writes.

A sweep folder is found by its ``summary.csv`` (the report writes it last of the tables); its
scorecard is ``scorecard.csv`` when the report made one, else the headline KPIs of
``comparison.csv`` with the paired difference against the baseline. Charts are the report's own
PNGs, in the registry's order with its captions. Files are served only from inside the results
folder and only of the kinds listed in :data:`SERVED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.app.folders import Folders
from sim.report.chart_registry import CHARTS
from sim.report.kpis import HEADLINE

SERVED = {
    ".png": "image/png",
    ".html": "text/html",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
}
RISK_PAGE = 25


def sweeps(folders: Folders) -> list[str]:
    """Sweep folders under ``results/sweeps`` with a report's tables, newest first, relative to
    the results folder."""
    root = folders.results / "sweeps"
    if not root.is_dir():
        return []
    found = [p.parent for p in root.glob("**/summary.csv")]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p.relative_to(folders.results)) for p in found]


def snapshots(folders: Folders) -> list[str]:
    """Snapshot folders (``manifest.json``) under the results folder, newest first."""
    if not folders.results.is_dir():
        return []
    found = [p.parent for p in folders.results.glob("**/snapshot/manifest.json")]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [str(p.relative_to(folders.results)) for p in found]


@dataclass(frozen=True)
class SweepView:
    """A sweep folder's tables and charts, as the results page shows them."""

    folder: Path
    relative: str
    summary: pd.DataFrame
    scorecard: pd.DataFrame
    sentences: list[str]
    risk: pd.DataFrame  # the spread across replications: best, worst, p5, p95
    charts: list[tuple[str, str]]  # (file relative to the results folder, caption)
    downloads: list[str]  # report.html, comparison.xlsx: relative to the results folder


def read_sweep(folders: Folders, relative: str) -> SweepView:
    folder = folders.inside(Path(relative), folders.results, "sweep")
    summary = pd.read_csv(folder / "summary.csv")
    scorecard_file = folder / "scorecard.csv"
    sentences: list[str] = []
    if scorecard_file.is_file():
        scorecard = pd.read_csv(scorecard_file)
        if "sentence" in scorecard.columns:
            sentences = [str(s) for s in scorecard["sentence"].dropna().unique() if str(s)]
    comparison = pd.read_csv(folder / "comparison.csv")
    if not scorecard_file.is_file():
        scorecard = headline(comparison)
    baseline = str(comparison["baseline"].dropna().iloc[0]) if len(comparison) else ""
    charts = [
        (f"{relative}/charts/{spec.name}.png", spec.caption.format(baseline=baseline))
        for spec in CHARTS
        if (folder / "charts" / f"{spec.name}.png").is_file()
    ]
    downloads = [
        f"{relative}/{name}"
        for name in ("report.html", "comparison.xlsx", "summary.csv", "comparison.csv")
        if (folder / name).is_file()
    ]
    risk = risk_view(comparison)
    return SweepView(folder, relative, summary, scorecard, sentences, risk, charts, downloads)


def headline(comparison: pd.DataFrame) -> pd.DataFrame:
    """Scenario x policy x headline KPI: mean [95% CI], and the paired difference against the
    baseline [95% CI] where there is one."""
    rows = comparison[comparison["kpi"].isin(HEADLINE)].copy()

    def interval(mean: float, low: float, high: float) -> str:
        if pd.isna(mean):
            return ""
        return f"{mean:.4g} [{low:.4g}, {high:.4g}]"

    rows["mean [95% CI]"] = [
        interval(m, lo, hi)
        for m, lo, hi in zip(rows["mean"], rows["ci_low"], rows["ci_high"], strict=True)
    ]
    rows["vs baseline [95% CI]"] = [
        interval(m, lo, hi)
        for m, lo, hi in zip(
            rows["diff_mean"], rows["diff_ci_low"], rows["diff_ci_high"], strict=True
        )
    ]
    keep = [c for c in ("scenario", "policy", "kpi") if c in rows.columns]
    return rows[[*keep, "n", "mean [95% CI]", "vs baseline [95% CI]"]].reset_index(drop=True)


def risk_view(comparison: pd.DataFrame) -> pd.DataFrame:
    """Scenario x policy x headline KPI: the spread across replications (the report's risk
    view): best and worst run, 5th and 95th percentiles."""
    rows = comparison[comparison["kpi"].isin(HEADLINE)]
    return rows[["scenario", "policy", "kpi", "best", "worst", "p5", "p95"]].reset_index(drop=True)


def risk_page(folders: Folders, nowcast: Path, page: int) -> tuple[pd.DataFrame, int]:
    """One page of a now-cast's ranked risk list and the number of pages."""
    folder = folders.inside(nowcast, folders.results, "nowcast")
    table = pd.read_parquet(folder / "risk.parquet")
    pages = max((len(table) + RISK_PAGE - 1) // RISK_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    return table.iloc[page * RISK_PAGE : (page + 1) * RISK_PAGE].reset_index(drop=True), pages


def served_file(folders: Folders, relative: str) -> tuple[Path, str]:
    """A file the app may send: inside the results folder, of a served kind."""
    path = folders.inside(Path(relative), folders.results, "file")
    kind = SERVED.get(path.suffix.lower())
    if kind is None or not path.is_file():
        raise FileNotFoundError(relative)
    return path, kind
