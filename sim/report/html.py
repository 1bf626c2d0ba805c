"""report.html: one self-contained file (charts embedded as base64 PNG, inline CSS, no links out).

Order of reading: the executive summary in plain words with CIs, the settings the numbers rest
on, then charts and tables in detail. No timestamps, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.report.kpis import info

CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;color:#222;max-width:1180px;margin:24px auto;
padding:0 20px;line-height:1.45}
h1{font-size:26px;margin-bottom:2px}h2{font-size:20px;border-bottom:2px solid #4C6A92;
padding-bottom:3px;margin-top:34px}h3{font-size:16px;margin-top:22px}
.sub{color:#555;margin-top:0}
.summary{background:#F3F6FA;border-left:5px solid #4C6A92;padding:10px 18px 10px 30px}
.summary li{margin:6px 0}
table{border-collapse:collapse;font-size:13px;margin:8px 0 14px}
th{background:#4C6A92;color:#fff;text-align:left;padding:4px 8px;font-weight:600}
td{border-bottom:1px solid #E3E3E3;padding:3px 8px;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.good{color:#007A5A;font-weight:600}.bad{color:#B34700;font-weight:600}
figure{margin:18px 0}figure img{max-width:100%;border:1px solid #EEE}
figcaption{color:#555;font-size:13px}
.note{color:#555;font-size:13px}.wide{overflow-x:auto}
"""


@dataclass(frozen=True)
class Chart:
    path: Path
    caption: str


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _e(text: object) -> str:
    return html.escape(str(text))


def table(frame: pd.DataFrame, numeric: Sequence[str] = ()) -> str:
    """A plain HTML table; columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            cls = ' class="num"' if col in numeric else ""
            cells.append(f"<td{cls}>{value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='wide'><table><tr>{head}</tr>{''.join(body)}</table></div>"


def headline_table(comparison: pd.DataFrame, scenario: str, kpis: Sequence[str]) -> str:
    """One scenario: per policy, each KPI as mean [CI] and its paired difference vs baseline."""
    cells = comparison[comparison["scenario"] == scenario]
    rows = []
    for policy in dict.fromkeys(cells["policy"]):
        row: dict[str, str] = {
            "policy": _e(policy),
            "n": str(int(cells[cells["policy"] == policy]["n"].iloc[0])),
        }
        for kpi in kpis:
            c = cells[(cells["policy"] == policy) & (cells["kpi"] == kpi)]
            if c.empty:
                continue
            r, k = c.iloc[0], info(kpi)
            ci = f"[{k.show(r['ci_low'])}, {k.show(r['ci_high'])}]"
            text = f"{k.show(r['mean'])} <span class='note'>{ci}</span>"
            if r["n_pairs"] > 1:
                judged = k.better(float(r["diff_mean"]))
                clear = r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0
                cls = "good" if clear and judged else "bad" if clear and judged is False else ""
                text += (
                    f"<br><span class='{cls}'>{k.show_delta(r['diff_mean'])}</span> "
                    f"<span class='note'>[{k.show_delta(r['diff_ci_low'])}, "
                    f"{k.show_delta(r['diff_ci_high'])}], p={r['diff_p_value']:.3f}</span>"
                )
            row[_e(k.label)] = text
        rows.append(row)
    frame = pd.DataFrame(rows)
    return table(frame, numeric=[c for c in frame.columns if c not in ("policy",)])


def best_table(best: pd.DataFrame) -> str:
    """Per scenario and KPI: the policies that can be the best, and the best when it is known."""
    rows = []
    for (scenario, kpi), cells in best.groupby(["scenario", "kpi"], sort=False):
        contenders = list(cells[cells["can_be_best"]]["policy"])
        winner = list(cells[cells["is_best"]]["policy"])
        rows.append(
            {
                "scenario": _e(scenario),
                "KPI": _e(info(str(kpi)).label),
                "can be the best": _e(", ".join(contenders)),
                "the best": _e(winner[0]) if winner else "not separated yet",
            }
        )
    return table(pd.DataFrame(rows))


def render(
    title_text: str,
    subtitle: str,
    summary: Sequence[str],
    settings: Sequence[tuple[str, str]],
    charts: Sequence[Chart],
    sections: Sequence[tuple[str, str]],
) -> str:
    """The whole page; ``sections`` are (heading, HTML body) pairs shown after the charts."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title_text)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title_text)}</h1><p class='sub'>{_e(subtitle)}</p>",
        "<h2>Executive summary</h2><ul class='summary'>",
        *(f"<li>{_e(s)}</li>" for s in summary),
        "</ul><h2>Settings</h2>",
        table(pd.DataFrame(settings, columns=["setting", "value"]).map(_e)),
        "<h2>Charts</h2>",
        *(
            f"<figure>{_img(c.path)}<figcaption>{_e(c.caption)}</figcaption></figure>"
            for c in charts
        ),
        *(f"<h2>{_e(h)}</h2>{body}" for h, body in sections),
        "</body></html>\n",
    ]
    return "\n".join(parts)
