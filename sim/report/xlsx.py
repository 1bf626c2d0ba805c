"""The report's tables as one formatted workbook, for planners who live in spreadsheets.

A headline sheet (mean [95% CI] and the paired difference against the baseline, per scenario and
policy), then the full tables. The file is byte-identical on every rebuild: openpyxl stamps the
save time into ``docProps/core.xml`` and the zip entries, so both are pinned afterwards.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sim.report.aggregate import cell_gaps, ordered, records, runs_words
from sim.report.kpis import HEADLINE, info
from sim.report.scorecard import RUNS

FIXED_TIME = "2000-01-01T00:00:00Z"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
HEADER_FILL = PatternFill("solid", fgColor="4C6A92")
HEADER_FONT = Font(bold=True, color="FFFFFF")
GOOD_FONT, BAD_FONT = Font(color="007A5A"), Font(color="B34700")


def _excel_format(kpi: str) -> str:
    k = info(kpi)
    if k.unit == "pp":
        return "0.0%"
    if k.unit == "USD":
        return "0.00"
    if k.fmt.endswith(",.0f}"):
        return "#,##0"
    return "0.0" if k.unit in ("points", "h") else "0.000"


def _header(ws: Worksheet, names: Sequence[str]) -> None:
    ws.append(list(names))
    for cell in ws[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"


def _widths(ws: Worksheet, widths: Mapping[int, float] | None = None, default: float = 13) -> None:
    for col in range(1, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(col)].width = (widths or {}).get(col, default)


def _cell_value(value: object) -> object:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def table_sheet(wb: Workbook, name: str, frame: pd.DataFrame) -> Worksheet:
    """A plain table with a styled header, frozen first row and KPI number formats."""
    ws = wb.create_sheet(name)
    _header(ws, [str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        ws.append([_cell_value(v) for v in row])
    kpi_col = list(frame.columns).index("kpi") if "kpi" in frame.columns else None
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, column in enumerate(frame.columns, start=1):
            kpi = row[kpi_col] if kpi_col is not None else column
            if column in ("mean", "ci_low", "ci_high", "best", "worst", "p5", "p95") or (
                kpi_col is None and column not in ("job", "seed")
            ):
                ws.cell(r, c).number_format = _excel_format(str(kpi))
    _widths(ws, {1: 18, 2: 18})
    return ws


def headline_sheet(wb: Workbook, comparison: pd.DataFrame, baseline: str) -> Worksheet:
    """Scenario x policy rows; per headline KPI: mean, CI and paired difference vs baseline."""
    ws = wb.active
    assert ws is not None
    ws.title = "Headline"
    kpis = [k for k in HEADLINE if k in set(comparison["kpi"])]
    gaps = cell_gaps(comparison)
    names = ["scenario", "policy", "n", RUNS]
    for kpi in kpis:
        label = info(kpi).label
        names += [label, "95% CI", f"vs {baseline}", "diff 95% CI", "p-value"]
    _header(ws, names)
    cells = {(r["scenario"], r["policy"], r["kpi"]): r for r in records(comparison)}
    for scenario in ordered(comparison["scenario"]):
        for policy in ordered(comparison[comparison["scenario"] == scenario]["policy"]):
            runs = runs_words(gaps.get((scenario, policy), ""))
            n = int(cells[(scenario, policy, kpis[0])]["n"])
            row: list[object] = [scenario, policy, n, runs]
            for kpi in kpis:
                c = cells[(scenario, policy, kpi)]
                k = info(kpi)
                row += [
                    _cell_value(float(c["mean"])),
                    f"{k.show(c['ci_low'])} to {k.show(c['ci_high'])}",
                    _cell_value(float(c["diff_mean"])),
                    ""
                    if policy == baseline
                    else f"{k.show_delta(c['diff_ci_low'])} to {k.show_delta(c['diff_ci_high'])}",
                    _cell_value(float(c["diff_p_value"])),
                ]
            ws.append(row)
            r = ws.max_row
            for j, kpi in enumerate(kpis):
                col = 5 + 5 * j
                ws.cell(r, col).number_format = _excel_format(kpi)
                ws.cell(r, col + 2).number_format = _excel_format(kpi)
                ws.cell(r, col + 4).number_format = "0.000"
                c = cells[(scenario, policy, kpi)]
                clear = c["diff_ci_low"] > 0 or c["diff_ci_high"] < 0
                judged = info(kpi).better(float(c["diff_mean"]))
                if clear and judged is not None:
                    ws.cell(r, col + 2).font = GOOD_FONT if judged else BAD_FONT
    _widths(ws, {1: 16, 2: 18, 3: 5, 4: 18}, default=14)
    ws.row_dimensions[1].height = 32
    return ws


def write_workbook(path: Path, baseline: str, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Headline sheet from ``sheets['Comparison']``, then every table as its own sheet."""
    wb = Workbook()
    headline_sheet(wb, sheets["Comparison"], baseline)
    for name, frame in sheets.items():
        table_sheet(wb, name, frame)
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(pinned(buffer.getvalue()))
    return path


def pinned(xlsx: bytes) -> bytes:
    """The same workbook with fixed timestamps in its properties and zip entries."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(
                        rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)",
                        rf"\g<1>{FIXED_TIME}\g<2>",
                        text,
                    )
                data = text.encode("utf-8")
            info_ = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            info_.compress_type = zipfile.ZIP_DEFLATED
            info_.external_attr = 0o600 << 16
            dst.writestr(info_, data)
    return out.getvalue()
