"""Reading what sweeps and now-casts wrote, for the results pages: nothing here writes.

A sweep folder is found by its ``summary.csv`` (the report writes it last of the tables); its
scorecard is the report's own (:func:`sim.report.scorecard.load`, from ``comparison.csv``: each
headline KPI's difference from the baseline, its verdict after Holm's correction, one sentence
per scenario x policy), so the app and ``report.html`` never disagree. Charts are the report's own
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
from sim.report.scorecard import BETTER, WORSE, read_comparison
from sim.report.scorecard import load as load_scorecard

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
    baseline: str  # the policy every difference is against
    summary: pd.DataFrame
    scorecard: pd.DataFrame  # scenario x policy rows, each KPI's difference from the baseline
    verdicts: pd.DataFrame  # the same cells: better, worse, changed, not significant, no data
    sentences: list[str]
    risk: pd.DataFrame  # the spread across replications: best, worst, p5, p95
    charts: list[tuple[str, str]]  # (file relative to the results folder, caption)
    downloads: list[str]  # report.html, comparison.xlsx: relative to the results folder


def read_sweep(folders: Folders, relative: str) -> SweepView:
    folder = folders.inside(Path(relative), folders.results, "sweep")
    summary = pd.read_csv(folder / "summary.csv")
    comparison = read_comparison(folder)  # read once, as the scorecard reads it
    card = load_scorecard(folder, comparison=comparison)
    verdicts = card.wide("verdict")
    charts = [
        (f"{relative}/charts/{spec.name}.png", spec.caption.format(baseline=card.baseline))
        for spec in CHARTS
        if (folder / "charts" / f"{spec.name}.png").is_file()
    ]
    downloads = [
        f"{relative}/{name}"
        for name in (
            "report.html",
            "comparison.xlsx",
            "scorecard.csv",
            "summary.csv",
            "comparison.csv",
        )
        if (folder / name).is_file()
    ]
    risk = risk_view(comparison)
    return SweepView(
        folder,
        relative,
        card.baseline,
        summary,
        card.table(),
        verdicts,
        [card.warning(), *card.sentences] if card.incomplete else card.sentences,
        risk,
        charts,
        downloads,
    )


def coloured(verdicts: pd.DataFrame) -> list[tuple[int, str, str]]:
    """``(row, column, verdict)`` of the scorecard's significant cells, to colour."""
    return [
        (i, str(column), str(value))
        for i, row in enumerate(verdicts.to_dict("records"))
        for column, value in row.items()
        if value in (BETTER, WORSE)
    ]


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
