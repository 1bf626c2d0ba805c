"""What a now-cast writes: the ranked risk list (parquet, CSV, workbook), the summary charts
and a small JSON summary. Files go through :mod:`sim.io.safe` (temporary file, renamed; no
symbolic link followed)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.io.safe import make_dirs, temp_path, write_bytes, write_text  # noqa: E402

TIER_COLOURS = {"red": "#C0392B", "yellow": "#E1B12C", "blue": "#2E86C1", "none": "#BBBBBB"}
CHARTS = {  # file -> (column grouped by, title)
    "risk_by_warehouse.png": ("warehouse", "Open orders by warehouse and risk tier"),
    "risk_by_region.png": ("region", "Open orders by region and risk tier"),
    "risk_by_promise_day.png": ("promise_day", "Open orders by promise day and risk tier"),
}


def write_outputs(table: pd.DataFrame, summary: Mapping[str, Any], out: Path) -> list[Path]:
    """Write ``risk.parquet``, ``risk.csv``, ``risk.xlsx``, the charts and ``summary.json``."""
    out = make_dirs(out)
    written = []
    with temp_path(out / "risk.parquet", out) as tmp:
        table.assign(promise_day=table["promise_day"].astype(str)).to_parquet(tmp, index=False)
    written.append(out / "risk.parquet")
    written.append(write_text(out / "risk.csv", table.to_csv(index=False), out))
    with temp_path(out / "risk.xlsx", out) as tmp:
        table.to_excel(tmp, index=False, sheet_name="risk", engine="openpyxl")
    written.append(out / "risk.xlsx")
    charts = make_dirs(out / "charts", out)
    for name, (column, title) in CHARTS.items():
        written.append(write_bytes(charts / name, _tier_chart(table, column, title), out))
    text = json.dumps(dict(summary), indent=2, default=str) + "\n"
    written.append(write_text(out / "summary.json", text, out))
    return written


def _tier_chart(table: pd.DataFrame, column: str, title: str) -> bytes:
    """Stacked bars: open orders per group, by risk tier (red at the bottom)."""
    counts = pd.crosstab(table[column].astype(str), table["risk_tier"])
    tiers = [t for t in TIER_COLOURS if t in counts.columns]
    counts = counts[tiers]
    fig, ax = plt.subplots(figsize=(8, 4))
    bottom = None
    for tier in tiers:
        ax.bar(counts.index, counts[tier], bottom=bottom, color=TIER_COLOURS[tier], label=tier)
        bottom = counts[tier] if bottom is None else bottom + counts[tier]
    ax.set_title(title)
    ax.set_ylabel("open orders")
    ax.legend(title="risk tier", fontsize=8)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
