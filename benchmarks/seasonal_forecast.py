"""How the monthly forecast's yearly seasons behave on synthetic three-year logs of known truth.

    python benchmarks/seasonal_forecast.py [--logs 10]

Each log is 36 fitted months plus 12 scored ones, ~300 orders a month times a yearly cycle
(``1 + amplitude sin(2 pi month / 12)``), a 5% month-to-month scatter beyond counting and Poisson
counts, as in ``tests/test_seasonal_forecast.py``. Per amplitude (0, 0.15, 0.3): how often the
full choice (:func:`~scenarios.calibration.monthly_forecast.fit_from_totals`: the season test,
then rolling-origin cross-validation) takes a seasonal model; the chosen model's 90% band
coverage of the 12 months after the log (Poisson arrivals on 400 paths); and the MAPE of its
median against the best model without seasons, with the paired difference's 95% interval.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy import stats

from scenarios.calibration.counted_level import KINDS, is_seasonal
from scenarios.calibration.monthly_forecast import fit_from_kind, fit_from_totals

FIT, AHEAD, PATHS = 36, 12, 400
MONTHS = pd.period_range("2020-01", periods=FIT + AHEAD, freq="M")


def one_log(seed: int, amplitude: float) -> dict[str, float | str]:
    rng = np.random.default_rng(seed)
    m = np.arange(len(MONTHS))
    rate = (
        300.0
        * (1.0 + amplitude * np.sin(2 * np.pi * m / 12))
        * np.exp(0.05 * rng.standard_normal(len(m)))
    )
    y = rng.poisson(rate).astype(float)
    fitted, truth = y[:FIT], y[FIT:]
    chosen = fit_from_totals(MONTHS[:FIT], fitted, fitted)
    plain = [k for k in KINDS if not is_seasonal(k) and k in chosen.cv_mape]
    best_plain = min(plain, key=lambda k: chosen.cv_mape[k]) if plain else "level"
    out: dict[str, float | str] = {"chosen": chosen.chosen, "season_p": chosen.season_p}
    for name, forecast in (
        ("chosen", chosen),
        ("without", fit_from_kind(best_plain, MONTHS[:FIT], fitted, fitted)),
    ):
        paths = rng.poisson(forecast.month_totals(AHEAD, PATHS, rng))
        low, high = np.quantile(paths, [0.05, 0.95], axis=0)
        out[f"{name} mape"] = float(np.mean(np.abs(np.median(paths, axis=0) - truth) / truth))
        out[f"{name} inside"] = float(np.mean((truth >= low) & (truth <= high)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=10)
    args = parser.parse_args()
    for amplitude in (0.0, 0.15, 0.3):
        rows = [one_log(1000 + i, amplitude) for i in range(args.logs)]
        seasonal = sum(is_seasonal(str(r["chosen"])) for r in rows)
        diff = np.array([float(r["chosen mape"]) - float(r["without mape"]) for r in rows])
        half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
        mean = {k: float(np.mean([float(r[k]) for r in rows])) for k in rows[0] if " " in k}
        print(
            f"amplitude {amplitude:.2f}: seasonal chosen on {seasonal} of {len(rows)} logs; "
            f"90% bands cover {mean['chosen inside']:.0%} of {AHEAD * len(rows)} months; "
            f"MAPE chosen {mean['chosen mape']:.1%} vs best without seasons "
            f"{mean['without mape']:.1%} "
            f"(paired difference {diff.mean():+.1%}, 95% CI {diff.mean() - half:+.1%} to "
            f"{diff.mean() + half:+.1%})",
            flush=True,
        )


if __name__ == "__main__":
    main()
