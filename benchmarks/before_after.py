"""Side-by-side policy comparison from sweeps measured under different code (before/after).

    python benchmarks/before_after.py LABEL=SWEEP_DIR[,SWEEP_DIR...] LABEL=... [--out table.md]

Each sweep dir is one ``ordertwin -m`` sweep with its ``summary.csv``; every label is a column
group. Per scenario and policy (routing/monitoring), the mean over seeds of late rate, cost per
order, delivery time and NPS, with the paired 95% half-width of the difference to ``nearest/none``
on the same seeds; the best policy per scenario and KPI is marked with ``*``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

KPIS = (
    ("late_rate", "late %", 100.0, "min"),
    ("cost_per_order", "USD/order", 1.0, "min"),
    ("delivery_time_mean_h", "delivery h", 1.0, "min"),
    ("nps", "NPS", 1.0, "max"),
)


def load(dirs: str) -> pd.DataFrame:
    frames = [pd.read_csv(Path(d) / "summary.csv") for d in dirs.split(",")]
    df = pd.concat(frames, ignore_index=True)
    df = df[df["status"] == "ok"].copy()
    df["policy"] = df["routing"] + "/" + df["monitoring"]
    return df.drop_duplicates(subset=["scenario", "policy", "seed"])


def table(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (scenario, policy), g in df.groupby(["scenario", "policy"], sort=True):
        base = df[(df["scenario"] == scenario) & (df["policy"] == "nearest/none")]
        row = {"scenario": scenario, "policy": policy, "seeds": len(g)}
        for key, _, scale, _ in KPIS:
            row[key] = g[key].mean() * scale
            paired = g.set_index("seed")[key].sub(base.set_index("seed")[key]).dropna() * scale
            n = len(paired)
            half = stats.t.ppf(0.975, n - 1) * paired.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            row[f"{key}_diff"] = paired.mean() if n else np.nan
            row[f"{key}_hw"] = half
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("columns", nargs="+", help="LABEL=SWEEP_DIR[,SWEEP_DIR...]")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    tables = {}
    for spec in args.columns:
        label, _, dirs = spec.partition("=")
        tables[label] = table(load(dirs))
    lines = []
    for scenario in sorted(next(iter(tables.values()))["scenario"].unique()):
        lines.append(f"\n**{scenario}** (mean over seeds; paired diff vs nearest/none ± 95% hw)\n")
        header = (
            "| policy | "
            + " | ".join(f"{label}: {name}" for label in tables for _, name, _, _ in KPIS)
            + " |"
        )
        lines += [header, "|" + "---|" * (1 + len(tables) * len(KPIS))]
        policies = sorted(
            set().union(*(set(t[t.scenario == scenario].policy) for t in tables.values()))
        )
        for policy in policies:
            cells = []
            for t in tables.values():
                sc = t[t.scenario == scenario]
                r = sc[sc.policy == policy]
                for key, _, _, best in KPIS:
                    if r.empty:
                        cells.append("")
                        continue
                    v = float(r[key].iloc[0])
                    routing_rows = sc[sc.policy.str.endswith("/none") == policy.endswith("/none")]
                    top = routing_rows[key].min() if best == "min" else routing_rows[key].max()
                    mark = "*" if np.isclose(v, top) else ""
                    d, hw = float(r[f"{key}_diff"].iloc[0]), float(r[f"{key}_hw"].iloc[0])
                    diff = "" if policy == "nearest/none" else f" ({d:+.2f}±{hw:.2f})"
                    cells.append(f"{v:.2f}{mark}{diff}")
            lines.append(f"| {policy} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
