"""The scorecard: what leadership reads first — per scenario x policy, each headline KPI's paired
difference from the baseline policy, called better or worse only where it survives a multiplicity
correction, and one plain sentence per scenario x policy saying what it buys and at what price.

Significance is Holm's step-down correction (Holm 1979) at 5% within each **scenario x KPI**,
across the policies compared with the baseline. That is the family a reader scans: one KPI's
column in one scenario, asking "does any policy move this against the baseline?" — the question
whose false alarms grow with every policy added. Scenarios are separate what-ifs and KPIs separate
questions, each stated on its own, so correcting across them would make a verdict depend on how
many scenarios or KPIs the sweep happened to include. Holm holds the family-wise error at 5% under
any dependence between the comparisons (they share the baseline's runs and the seeds) and rejects
everything Bonferroni does, and more. With two policies the family has one member and the verdict
is the paired-t interval's own (it excludes zero exactly when p < 5%).

The p-values are the paired-t ones of ``comparison.csv`` (common random numbers: the same seeds
under every policy), so the scorecard is computed from that file alone; :func:`load` does so for a
sweep folder (the app renders the same data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.report.aggregate import cell_gaps, ordered, records, runs_words
from sim.report.kpis import KpiInfo, info, scorecard_kpis

ALPHA = 0.05  # family-wise error rate of each scenario x KPI family
BETTER, WORSE, CHANGED, SAME, NO_DATA = "better", "worse", "changed", "not significant", "no data"
COLUMNS = (
    "scenario",
    "policy",
    "baseline",
    "kpi",
    "label",
    "unit",
    "n_pairs",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "family_size",
    "p_holm",
    "verdict",
    "complete",
    "missing",
)
NEEDED = (*COLUMNS[:4], "n_pairs", "diff_mean", "diff_ci_low", "diff_ci_high", "diff_p_value")
RUNS = "runs"  # the column a scorecard with unfinished runs gets: which runs each row lacks


@dataclass(frozen=True)
class Scorecard:
    """Plain data: one row per scenario x policy x headline KPI (``cells``, written to
    ``scorecard.csv``) and the sentences, one per scenario x policy."""

    cells: pd.DataFrame
    sentences: list[str]
    baseline: str

    @property
    def kpis(self) -> list[str]:
        return ordered(self.cells["kpi"]) if not self.cells.empty else []

    def wide(self, column: str) -> pd.DataFrame:
        """Rows scenario x policy, a column per KPI label holding ``column`` of each cell."""
        if self.cells.empty:
            return pd.DataFrame(columns=["scenario", "policy"])
        frame = self.cells.pivot_table(
            index=["scenario", "policy"],
            columns="label",
            values=column,
            aggfunc="first",
            sort=False,
        )
        labels = [info(k).label for k in self.kpis]
        return frame.reindex(columns=labels).reset_index().rename_axis(columns=None)

    @property
    def incomplete(self) -> dict[tuple[str, str], str]:
        """Scenario x policy rows whose figures lack runs that did not finish: what they lack."""
        if self.cells.empty:
            return {}
        bad = records(self.cells[~self.cells["complete"].astype(bool)])
        return {(str(r["scenario"]), str(r["policy"])): str(r["missing"]) for r in bad}

    def warning(self) -> str:
        """One sentence when rows lack runs ("" when none does): a table that looks complete
        must not be read as one."""
        gaps = self.incomplete
        if not gaps:
            return ""
        rows = len(self.cells.drop_duplicates(["scenario", "policy"]))
        return (
            f"Incomplete sweep: {len(gaps)} of {rows} rows lack runs that did not finish "
            f"(column '{RUNS}'); their differences use only the seeds that finished."
        )

    def with_runs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A wide table (rows scenario x policy) with the ``runs`` column when rows lack runs."""
        gaps = self.incomplete
        if not gaps:
            return frame
        keys = zip(frame["scenario"].astype(str), frame["policy"].astype(str), strict=True)
        runs = [runs_words(gaps.get(key, "")) for key in keys]
        return frame.assign(**{RUNS: runs})

    def table(self) -> pd.DataFrame:
        """Rows scenario x policy, each KPI's difference from the baseline with its unit (and the
        runs each row lacks, if any)."""
        shown = self.cells.assign(
            shown=[info(r["kpi"]).show_delta(r["diff_mean"]) for r in records(self.cells)]
        )
        return self.with_runs(Scorecard(shown, self.sentences, self.baseline).wide("shown"))

    def text(self) -> str:
        """The scorecard for a terminal: the table, significant cells marked, then the sentences."""
        if self.cells.empty:
            return "\n".join(self.sentences)
        marks = {BETTER: " [better]", WORSE: " [worse]", CHANGED: " [changed]"}
        shown = self.cells.assign(
            shown=[
                info(r["kpi"]).show_delta(r["diff_mean"]) + marks.get(r["verdict"], "")
                for r in records(self.cells)
            ]
        )
        table = self.with_runs(Scorecard(shown, self.sentences, self.baseline).wide("shown"))
        head = (
            f"Scorecard: difference from {self.baseline}, paired by seed; marked only where "
            "significant at 5% after Holm's correction within each scenario and KPI"
        )
        warning = [f"! {self.warning()}"] if self.incomplete else []
        lines = [*warning, head, table.to_string(index=False), *(f"- {s}" for s in self.sentences)]
        return "\n".join(lines)


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values: the ``i``-th smallest of ``m`` is ``max_{j<=i} (m-j+1) p_(j)``,
    capped at 1. A NaN (no test: fewer than two pairs) stays NaN and is not counted in ``m``."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    m = len(tested)
    running = 0.0
    for rank, i in enumerate(tested[np.argsort(p[tested], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * float(p[i])))
        out[i] = running
    return out


def _verdict(k: KpiInfo, diff: float, p_holm: float, alpha: float) -> str:
    if not (math.isfinite(diff) and math.isfinite(p_holm)):
        return NO_DATA
    if p_holm > alpha:
        return SAME
    judged = k.better(diff)
    return CHANGED if judged is None else BETTER if judged else WORSE


def scorecard(comparison: pd.DataFrame, alpha: float = ALPHA) -> Scorecard:
    """The scorecard of a comparison table (``comparison.csv``: paired differences against its
    ``baseline`` column), with Holm's correction within each scenario x KPI."""
    missing = [c for c in NEEDED if c not in comparison.columns]
    if missing:
        raise ValueError(f"comparison table lacks column(s) {', '.join(missing)}")
    baseline = str(comparison["baseline"].iloc[0]) if len(comparison) else ""
    kpis = scorecard_kpis(ordered(comparison["kpi"]))
    rows = comparison[comparison["kpi"].isin(kpis) & (comparison["policy"] != baseline)]
    adjusted: dict[tuple[str, str, str], tuple[float, int]] = {}
    for (scenario, kpi), family in rows.groupby(["scenario", "kpi"], sort=False):
        p = family["diff_p_value"].to_numpy(float)
        size = int(np.isfinite(p).sum())
        for policy, p_adj in zip(family["policy"], holm(p), strict=True):
            adjusted[(str(scenario), str(policy), str(kpi))] = (float(p_adj), size)
    gaps = cell_gaps(comparison)
    out = []
    for r in records(rows):  # comparison order: scenario, policy, then KPI
        gap = gaps.get((str(r["scenario"]), str(r["policy"])), "")
        k = info(str(r["kpi"]))
        p_adj, size = adjusted[(str(r["scenario"]), str(r["policy"]), k.key)]
        diff = float(r["diff_mean"])
        out.append(
            {
                "scenario": r["scenario"],
                "policy": r["policy"],
                "baseline": baseline,
                "kpi": k.key,
                "label": k.label,
                "unit": k.unit,
                "n_pairs": int(r["n_pairs"]),
                "diff_mean": diff,
                "diff_ci_low": float(r["diff_ci_low"]),
                "diff_ci_high": float(r["diff_ci_high"]),
                "p_value": float(r["diff_p_value"]),
                "family_size": size,
                "p_holm": p_adj,
                "verdict": _verdict(k, diff, p_adj, alpha),
                "complete": not gap,
                "missing": gap,
            }
        )
    cells = pd.DataFrame(out, columns=list(COLUMNS))
    return Scorecard(cells, sentences(cells, baseline, ordered(comparison["policy"])), baseline)


def _name(k: KpiInfo) -> str:
    """``delivery time, mean`` -> ``mean delivery time``: the label's name read as a phrase."""
    head, sep, tail = k.name.rpartition(", ")
    return f"{tail} {head}" if sep and " " not in tail else k.name


def phrase(kpi: str, diff: float) -> str:
    """A difference in words with its unit: ``1.1 pp higher on-time rate``."""
    k = info(kpi)
    up, down = ("longer", "shorter") if k.unit == "h" else ("higher", "lower")
    return f"{k.amount(diff)} {up if diff > 0 else down} {_name(k)}"


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def sentence(scenario: str, policy: str, baseline: str, cells: pd.DataFrame) -> str:
    """One scenario x policy in plain words: what differs significantly (Holm, 5%) from the
    baseline, gains first, then their price."""
    who = f"{policy} in {scenario}"
    rows = records(cells)
    by = {
        v: [phrase(r["kpi"], r["diff_mean"]) for r in rows if r["verdict"] == v]
        for v in (BETTER, WORSE, CHANGED)
    }
    missing = str(rows[0].get("missing", "") or "") if rows else ""
    if all(r["verdict"] == NO_DATA for r in rows):
        if missing:
            return f"{who}: not compared with {baseline}: {missing} did not finish."
        return f"{who}: too few paired replications to compare with {baseline}."
    said = _said(who, baseline, by)
    if not missing:
        return said
    pairs = max(int(r["n_pairs"]) for r in rows)
    return f"{said} Incomplete: {missing} did not finish; this rests on {pairs} paired seeds."


def _said(who: str, baseline: str, by: dict[str, list[str]]) -> str:
    """The sentence's verdict: gains, then their price."""
    moved = f"; it also changes {_join(by[CHANGED])}" if by[CHANGED] else ""
    if by[BETTER] and by[WORSE]:
        return f"{who}: {_join(by[BETTER])} for {_join(by[WORSE])}, against {baseline}{moved}."
    if by[BETTER]:
        return (
            f"{who}: {_join(by[BETTER])} against {baseline}, "
            f"and no headline KPI significantly worse{moved}."
        )
    if by[WORSE]:
        return (
            f"{who}: {_join(by[WORSE])} against {baseline}, "
            f"and no headline KPI significantly better{moved}."
        )
    return (
        f"{who}: no headline KPI differs significantly from {baseline} (Holm-corrected, 5%){moved}."
    )


def sentences(cells: pd.DataFrame, baseline: str, policies: Sequence[str] = ()) -> list[str]:
    """One sentence per scenario x policy of the scorecard, in its order."""
    if cells.empty:
        only = ", ".join(policies) or baseline
        return [f"Only {only} ran: no policy to compare with the baseline."]
    out = []
    for scenario in ordered(cells["scenario"]):
        mine = cells[cells["scenario"] == scenario]
        for policy in ordered(mine["policy"]):
            out.append(sentence(scenario, policy, baseline, mine[mine["policy"] == policy]))
    return out


def read_comparison(sweep_dir: str | Path) -> pd.DataFrame:
    """A sweep folder's ``comparison.csv`` as written: only an empty field is missing, so a policy
    or scenario called "none" or "NA" stays a name."""
    path = Path(sweep_dir) / "comparison.csv"
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"{path}: cannot read the comparison table ({err})") from None


def load(
    sweep_dir: str | Path, alpha: float = ALPHA, comparison: pd.DataFrame | None = None
) -> Scorecard:
    """The scorecard of a sweep folder, from its ``comparison.csv`` (what the app shows);
    ``comparison``: that table if the caller has already read it (:func:`read_comparison`)."""
    if comparison is None:
        comparison = read_comparison(sweep_dir)
    try:
        return scorecard(comparison, alpha)
    except ValueError as err:
        raise ValueError(f"{Path(sweep_dir) / 'comparison.csv'}: {err}") from None
