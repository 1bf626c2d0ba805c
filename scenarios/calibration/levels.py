"""Service levels as the log shows them: promise (by region where it differs), mode mix, urgency,
cancellations; and each channel's mix of levels.

A log's classes are the customer's choice (standard, second day, next day, same day), so every
class the log has becomes a level, slowest promise first (index 0, as in ``OrderBatch``); a level
none of whose orders was routed gets the mode mix of all routed orders, with a warning. A
level is ``urgent`` when its promise is at most :data:`URGENT_SHARE` of the slowest level's (the
policies' express handling applies to it). A region gets its own promise where it has at least
:data:`MIN_REGION_ORDERS` orders of the level and its median differs from the level's by more
than :data:`REGION_PROMISE_REL`; elsewhere the level's median applies. ``cancel_p`` is the share
of the level's orders the log shows cancelled.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from scenarios.calibration.mix import column_or, shares

URGENT_SHARE = 0.75  # a promise at most 3/4 of the slowest level's is a faster, paid-for class
MIN_REGION_ORDERS = 30
REGION_PROMISE_REL = 0.05


def level_order(orders: pd.DataFrame) -> list[str]:
    """The log's levels, slowest median promise first."""
    promise = orders["promised_h"] - orders["created_h"]
    medians = promise.groupby(orders["service_level"]).median()
    return sorted(medians.index.astype(str), key=lambda n: (-float(medians[n]), n))


def fit_service_levels(orders: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The service-level table (see the module docstring)."""
    promise = orders["promised_h"] - orders["created_h"]
    names = level_order(orders)
    slowest = float(promise[orders["service_level"] == names[0]].median())
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        mine = (orders["service_level"] == name).to_numpy()
        level_promise = float(promise[mine].median())
        by_region = {}
        for region, p in promise[mine].groupby(orders.loc[mine, "region"]):
            median = float(p.median())
            # relative, without dividing: a level promised at the order time (0 h) has one too
            differs = abs(median - level_promise) > REGION_PROMISE_REL * level_promise
            if len(p) >= MIN_REGION_ORDERS and differs:
                by_region[str(region)] = round(median, 2)
        routed = orders.loc[mine & (orders["mode"] != "").to_numpy(), "mode"].value_counts()
        if not len(routed):  # see unrouted_levels: the log cannot say; every routed order's mix
            routed = orders.loc[orders["mode"] != "", "mode"].value_counts()
        out[name] = {
            "promise_h": round(level_promise, 2),
            "promise_h_by_region": dict(sorted(by_region.items())),
            "mode_mix": shares(routed.index, routed.to_numpy()) if len(routed) else {},
            "urgent": bool(level_promise <= URGENT_SHARE * slowest and name != names[0]),
            "cancel_p": round(float((orders.loc[mine, "status"] == "cancelled").mean()), 4),
        }
    return out


def unrouted_levels(orders: pd.DataFrame) -> list[str]:
    """A warning per level none of whose orders was routed (all cancelled, or all still open):
    its mode mix is every routed order's, an assumption the log cannot check."""
    routed = (orders["mode"] != "").to_numpy()
    out = []
    for name in level_order(orders):
        mine = (orders["service_level"] == name).to_numpy()
        if mine.any() and not (mine & routed).any():
            status = orders.loc[mine, "status"].value_counts()
            said = ", ".join(f"{int(n):,} {s}" for s, n in status.items())
            out.append(
                f"service level {name!r}: none of its {int(mine.sum()):,} orders was routed "
                f"({said}): the mode mix of all routed orders assumed"
            )
    return out


def fit_level_mix(orders: pd.DataFrame, levels: list[str], channel_default: str) -> dict[str, Any]:
    """Per channel: the share of each level among its orders."""
    channel = column_or(orders, "channel", channel_default)
    out = {}
    for name, sub in orders.groupby(channel.to_numpy()):
        counts = sub["service_level"].value_counts()
        mix = shares(levels, [float(counts.get(level, 0)) + 1e-12 for level in levels])
        out[str(name)] = mix
    return out


def observed_origins(orders: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Region -> {origin: share} of the routed orders, as logged."""
    routed = orders[orders["warehouse"] != ""]
    out = {}
    for region, sub in routed.groupby("region"):
        counts = sub["warehouse"].value_counts()
        out[str(region)] = shares(counts.index, counts.to_numpy())
    return out


def monthly_mix_drift(orders: pd.DataFrame, column: pd.Series, months: pd.Series) -> dict[str, Any]:
    """Does a mix drift by month? A chi-square test of month x category; shares per month."""
    from scipy import stats

    table = pd.crosstab(months, column)
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return {"drifts": False, "p_value": None, "by_month": {}}
    test = stats.chi2_contingency(table.to_numpy())
    by_month = {
        str(m): {str(c): round(float(v), 4) for c, v in (row / row.sum()).items()}
        for m, row in table.iterrows()
    }
    return {"drifts": bool(test.pvalue < 1e-3), "p_value": float(test.pvalue), "by_month": by_month}


__all__ = [
    "fit_level_mix",
    "fit_service_levels",
    "level_order",
    "monthly_mix_drift",
    "observed_origins",
    "unrouted_levels",
]
