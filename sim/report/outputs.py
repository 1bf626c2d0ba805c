"""The files a report writes into a sweep dir, and withdrawing them when a new sweep starts there.

A sweep run again into the same ``hydra.sweep.dir`` overwrites the job folders one by one; the
old ``summary.csv``, ``comparison.csv`` and ``report.html`` would meanwhile describe jobs that are
being replaced, and if the new sweep is stopped (Hydra then builds no report) they would stay,
claiming a complete sweep the folder no longer holds. So they go when the sweep starts: they are
derived files, rebuilt by ``ordertwin-report`` from the job folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

TABLE_FILES = (  # in the workbook's order
    "comparison.csv",
    "scorecard.csv",
    "best.csv",
    "replications.csv",
    "warmup.csv",
    "pilot.csv",
    "summary.csv",
)
WORKBOOK_FILE = "comparison.xlsx"
PAGE_FILE = "report.html"
CHART_DIR = "charts"


def withdraw_report(sweep_dir: str | Path) -> list[Path]:
    """Remove the report's files from ``sweep_dir`` (a link is removed, never followed)."""
    root = Path(sweep_dir)
    removed = []
    for name in (*TABLE_FILES, WORKBOOK_FILE, PAGE_FILE):
        path = root / name
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(path)
    charts = root / CHART_DIR
    if charts.is_symlink():
        charts.unlink()
        removed.append(charts)
    elif charts.is_dir():
        shutil.rmtree(charts)
        removed.append(charts)
    return removed
