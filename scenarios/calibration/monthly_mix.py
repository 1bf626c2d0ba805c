"""Shares by month (of regions, channels or service levels), shrunk toward the overall mix as far
as the months cannot tell apart.

A marketplace's customers move: a state's share of orders can grow by half over a year, a
channel or a shipping class can take over from another. A month
with a few hundred orders cannot say its share to better than a few points, so each month's
shares are an empirical-Bayes compromise (Dirichlet-multinomial, method of moments): with overall
shares ``p`` over ``K`` regions and month ``m``'s ``n_m`` orders at shares ``q_m``, the statistic
``X_m = n_m sum_r (q_mr - p_r)^2 / p_r`` has mean ``(K - 1)(1 + (n_m - 1) rho)`` when true monthly
shares scatter around ``p`` with intra-month correlation ``rho = 1 / (a + 1)``; so

    rho = max(0, sum_m (X_m - (K - 1)) / sum_m (K - 1)(n_m - 1)),

and month ``m`` keeps the weight ``n_m / (n_m + a)`` on its own shares, the rest on ``p``. Months
that scatter no more than sampling does give ``rho = 0``, and rows are written only when the
months x regions chi-square test finds drift (p < :data:`DRIFT_P`); otherwise the scenario keeps
one mix. Past the log the scenario holds a last row, the pooled last
:data:`HOLD_MONTHS` months shrunk the same way, so a projection carries the recent mix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scenarios.calibration.mix import shares

HOLD_MONTHS = 3
DRIFT_P = 1e-3  # months x regions chi-square: below it the mix drifts (as ``mix_drift`` says)


def _shrunk(counts: np.ndarray, overall: np.ndarray, prior_orders: float) -> np.ndarray:
    n = counts.sum()
    return (counts + prior_orders * overall) / (n + prior_orders)


def fit_mix_by_month(category: pd.Series, month: pd.Series) -> dict[str, Any]:
    """Rows ``{month, shares}`` of ``category`` (a region, channel or level per order; empty
    when months do not drift) and how they were shrunk."""
    table = pd.crosstab(month.astype(str), category.astype(str))
    names = list(table.columns)
    counts = table.to_numpy(dtype=float)
    n = counts.sum(axis=1)
    overall = counts.sum(axis=0) / counts.sum()
    k = len(names)
    report: dict[str, Any] = {"months": len(table), "categories": k}
    if len(table) < 2 or k < 2:
        return {**report, "rho": 0.0, "prior_orders": None, "rows": []}
    q = counts / np.maximum(n, 1.0)[:, None]
    x = n * ((q - overall) ** 2 / overall).sum(axis=1)
    denominator = float(((k - 1) * np.maximum(n - 1.0, 0.0)).sum())
    rho = max(float((x - (k - 1)).sum()) / denominator, 0.0) if denominator > 0 else 0.0
    rho = min(rho, 0.999)
    from scipy import stats

    seen = counts[:, counts.sum(axis=0) > 0]
    p_value = float(stats.chi2_contingency(seen).pvalue)
    report.update(rho=rho, drift_p_value=p_value)
    if rho == 0.0 or p_value >= DRIFT_P:
        return {**report, "prior_orders": None, "rows": []}
    prior = (1.0 - rho) / rho
    rows = [
        {"month": m, "shares": shares(names, _shrunk(c, overall, prior))}
        for m, c in zip(table.index, counts, strict=True)
    ]
    last = pd.Period(table.index[-1], freq="M")
    recent = _shrunk(counts[-HOLD_MONTHS:].sum(axis=0), overall, prior)
    rows.append({"month": str(last + 1), "shares": shares(names, recent)})
    return {**report, "prior_orders": prior, "rows": rows}
