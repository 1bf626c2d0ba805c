"""report.html: one self-contained file (charts embedded as base64 PNG, inline CSS, no links out).

Order of reading: the scorecard first (what leadership reads: differences from the baseline,
coloured only where significant, and a sentence per policy), then the details: the findings in
plain words with CIs, the settings the numbers rest on, charts and tables. No timestamps, so a
rebuild gives the same bytes.

Every text in the page (scenario and policy names, overrides, a failed job's reason: all read from
a sweep dir, which is untrusted) is escaped by Jinja2's autoescape (``templates/report.html``);
table and section bodies are :class:`~markupsafe.Markup` built with ``Markup.format``, which
escapes every value it is given. Nothing is ever marked safe that came from the sweep dir.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup, escape

from sim.report.kpis import info
from sim.report.scorecard import BETTER, RUNS, WORSE, Scorecard

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
.sc{display:inline-block;padding:1px 6px;border-radius:3px;font-weight:600}
.sc-better{background:#D8F0E6;color:#005C44}.sc-worse{background:#FBE1CF;color:#8A3600}
.sc-grey{color:#777;font-weight:400}
.verdicts{padding:6px 18px 6px 30px}.verdicts li{margin:4px 0}
"""


@dataclass(frozen=True)
class Chart:
    path: Path
    caption: str


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sim.report", "templates"),
        autoescape=True,  # every {{ value }} escaped, whatever the file's name
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def table(frame: pd.DataFrame, numeric: Sequence[str] = ()) -> Markup:
    """An HTML table, every cell escaped (a :class:`Markup` cell is kept as built); columns in
    ``numeric`` are right-aligned."""
    head = Markup("").join(Markup("<th>{}</th>").format(c) for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            cls = Markup(' class="num"') if col in numeric else Markup("")
            cells.append(Markup("<td{}>{}</td>").format(cls, value))
        body.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
    return Markup("<div class='wide'><table><tr>{}</tr>{}</table></div>").format(
        head, Markup("").join(body)
    )


def headline_table(comparison: pd.DataFrame, scenario: str, kpis: Sequence[str]) -> Markup:
    """One scenario: per policy, each KPI as mean [CI] and its paired difference vs baseline."""
    cells = comparison[comparison["scenario"] == scenario]
    rows = []
    for policy in dict.fromkeys(cells["policy"]):
        row: dict[str, object] = {
            "policy": policy,
            "n": str(int(cells[cells["policy"] == policy]["n"].iloc[0])),
        }
        for kpi in kpis:
            c = cells[(cells["policy"] == policy) & (cells["kpi"] == kpi)]
            if c.empty:
                continue
            r, k = c.iloc[0], info(kpi)
            ci = f"[{k.show(r['ci_low'])}, {k.show(r['ci_high'])}]"
            text = Markup("{} <span class='note'>{}</span>").format(k.show(r["mean"]), ci)
            if r["n_pairs"] > 1:
                judged = k.better(float(r["diff_mean"]))
                clear = r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0
                cls = "good" if clear and judged else "bad" if clear and judged is False else ""
                spread = (
                    f"[{k.show_delta(r['diff_ci_low'])}, {k.show_delta(r['diff_ci_high'])}], "
                    f"p={r['diff_p_value']:.3f}"
                )
                text += Markup(
                    "<br><span class='{}'>{}</span> <span class='note'>{}</span>"
                ).format(cls, k.show_delta(r["diff_mean"]), spread)
            row[k.label] = text
        rows.append(row)
    frame = pd.DataFrame(rows, dtype=object)  # object: pandas 3 would turn Markup into str
    return table(frame, numeric=[c for c in frame.columns if c not in ("policy",)])


def scorecard_table(card: Scorecard) -> Markup:
    """Rows scenario x policy, a column per headline KPI: the difference from the baseline with
    its unit, green or orange only where significant after Holm's correction, grey otherwise; the
    paired 95% CI below it, the raw and Holm-adjusted p-values on hover."""
    cls = {BETTER: "sc-better", WORSE: "sc-worse"}
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for r in card.cells.to_dict("records"):
        k = info(str(r["kpi"]))
        row = rows.setdefault(
            (str(r["scenario"]), str(r["policy"])),
            {"scenario": r["scenario"], "policy": r["policy"]},
        )
        hover = (
            f"{r['verdict']}: p={r['p_value']:.3f}, Holm-adjusted p={r['p_holm']:.3f} "
            f"(family of {r['family_size']} policies), {int(r['n_pairs'])} paired seeds"
        )
        row[k.label] = Markup(
            "<span class='sc {}' title='{}'>{}</span><br><span class='note'>[{}, {}]</span>"
        ).format(
            cls.get(str(r["verdict"]), "sc-grey"),
            hover,
            k.show_delta(r["diff_mean"]),
            k.show_delta(r["diff_ci_low"]),
            k.show_delta(r["diff_ci_high"]),
        )
    frame = card.with_runs(pd.DataFrame(list(rows.values()), dtype=object))  # Markup kept
    text = ("scenario", "policy", RUNS)
    return table(frame, numeric=[c for c in frame.columns if c not in text])


def best_table(best: pd.DataFrame) -> Markup:
    """Per scenario and KPI: the policies that can be the best, and the best when it is known."""
    rows = []
    for (scenario, kpi), cells in best.groupby(["scenario", "kpi"], sort=False):
        contenders = list(cells[cells["can_be_best"]]["policy"])
        winner = list(cells[cells["is_best"]]["policy"])
        rows.append(
            {
                "scenario": scenario,
                "KPI": info(str(kpi)).label,
                "can be the best": ", ".join(str(c) for c in contenders),
                "the best": winner[0] if winner else "not separated yet",
            }
        )
    return table(pd.DataFrame(rows))


def heading(text: object) -> Markup:
    """A sub-heading inside a section body, escaped."""
    return Markup("<h3>{}</h3>").format(text)


def note(text: object) -> Markup:
    return Markup("<p class='note'>{}</p>").format(text)


def render(
    title_text: str,
    subtitle: str,
    card: Markup,
    verdicts: Sequence[str],
    summary: Sequence[str],
    settings: Sequence[tuple[str, str]],
    charts: Sequence[Chart],
    sections: Sequence[tuple[str, Markup]],
) -> str:
    """The whole page: the scorecard (``card``, its ``verdicts`` in words), then the details —
    ``summary`` bullets, settings, charts and ``sections`` ((heading, HTML body) pairs)."""
    template = _environment().get_template("report.html")
    return template.render(
        title=title_text,
        subtitle=subtitle,
        css=Markup(CSS),
        card=card,
        verdicts=list(verdicts),
        summary=list(summary),
        settings=table(pd.DataFrame(settings, columns=["setting", "value"])),
        charts=[
            {
                "alt": c.path.stem,
                "data": base64.b64encode(c.path.read_bytes()).decode("ascii"),
                "caption": c.caption,
            }
            for c in charts
        ],
        sections=[(h, body if isinstance(body, Markup) else escape(body)) for h, body in sections],
    )
