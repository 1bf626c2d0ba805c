"""Fit who orders what: region shares, channels, product classes and order values.

Shares are counted on orders outside bursts (bursts have their own mix). Values follow the
engine's model: lognormal per product class, scaled per channel; the channel multipliers are
relative to the busiest channel, which is pinned at 1 (only ratios are identifiable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

ONE_CLASS = "general"  # product class used when the log has no product_class column
ONE_CHANNEL = "all"  # channel used when the log has no channel column
SHARE_DIGITS = 4


def _small(count: float, total: float) -> float:
    return float(f"{count / total:.2g}") if count >= 1.0 else 0.0


def shares(names: Iterable[Any], counts: Iterable[float]) -> dict[str, float]:
    """Rounded shares that sum to 1 exactly (the largest absorbs the rounding). A name with at
    least one order keeps a share above zero (two significant digits where :data:`SHARE_DIGITS`
    decimals would round it away: a region with 3 of 60,000 orders still gets its orders)."""
    pairs = [(str(n), float(c)) for n, c in zip(names, counts, strict=True) if c > 0]
    total = sum(c for _, c in pairs)
    out = {n: round(c / total, SHARE_DIGITS) or _small(c, total) for n, c in pairs}
    largest = max(out, key=lambda n: out[n])
    out[largest] = round(1.0 - sum(v for n, v in out.items() if n != largest), 10)
    return out


def column_or(orders: pd.DataFrame, column: str, default: str) -> pd.Series:
    """An optional text column, or one default value where the log lacks it or it is blank."""
    if column not in orders:
        return pd.Series(default, index=orders.index, dtype=object)
    return orders[column].where(orders[column] != "", default)


def fit_channels(orders: pd.DataFrame, base: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per channel: share of regular (non-burst) demand and value multiplier (its level mix is
    :func:`scenarios.calibration.levels.fit_level_mix`'s)."""
    channel = column_or(orders, "channel", ONE_CHANNEL)
    product = column_or(orders, "product_class", ONE_CLASS)
    value = orders["value"].to_numpy(dtype=float)
    class_mean = orders.groupby(product)["value"].transform("mean").to_numpy()
    multiplier = pd.Series(value / class_mean).groupby(channel.to_numpy()).mean()
    multiplier = multiplier / multiplier.loc[str(channel.value_counts().idxmax())]
    base_counts = channel[base].value_counts()
    names = sorted(channel.unique().tolist())
    share = shares(names, [base_counts.get(n, 0) + 1e-12 for n in names])
    return {
        n: {
            "share": share.get(n, 0.0),
            "value_multiplier": round(float(multiplier[n]), 4),
        }
        for n in names
    }


def fit_product_classes(
    orders: pd.DataFrame,
    base: np.ndarray,
    channels: Mapping[str, Mapping[str, float]],
    template: Mapping[str, Any],
) -> dict[str, dict[str, float]]:
    """Per class: share, value mean and sd (at channel multiplier 1), margin, return rate."""
    channel = column_or(orders, "channel", ONE_CHANNEL)
    product = column_or(orders, "product_class", ONE_CLASS)
    multiplier = channel.map({c: v["value_multiplier"] for c, v in channels.items()})
    value = orders["value"] / multiplier.astype(float)
    margin = orders["margin"] / orders["value"] if "margin" in orders else None
    names = sorted(product.unique().tolist())
    base_counts = product[base].value_counts()
    share = shares(names, [base_counts.get(n, 0) + 1e-12 for n in names])
    t_classes = template["product_classes"]
    out = {}
    for name in names:
        mine = (product == name).to_numpy()
        t_class = t_classes.get(name, {})
        margin_mean = (
            float(np.clip(margin[mine].median(), 0.0, 1.0))
            if margin is not None
            else float(t_class.get("margin_mean", 0.3))
        )
        out[name] = {
            "share": share.get(name, 0.0),
            "value_mean_usd": round(float(value[mine].mean()), 2),
            "value_sd_usd": round(float(value[mine].std(ddof=0)), 2),
            "margin_mean": round(margin_mean, 4),
            "return_p": float(t_class.get("return_p", 0.10)),  # not in an order log
        }
    return out
