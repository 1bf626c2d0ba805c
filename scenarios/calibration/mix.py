"""Fit who orders what: region shares, channels and their express share, product classes and
order values, and the delivery promise per service level.

Shares are counted on orders outside bursts (bursts have their own mix). Values follow the
engine's model: lognormal per product class, scaled per channel; the channel multipliers are
relative to the busiest channel, which is pinned at 1 (only ratios are identifiable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from scenarios.world import SERVICE_LEVELS

ONE_CLASS = "general"  # product class used when the log has no product_class column
ONE_CHANNEL = "all"  # channel used when the log has no channel column
SHARE_DIGITS = 4


def shares(names: Iterable[Any], counts: Iterable[float]) -> dict[str, float]:
    """Rounded shares that sum to 1 exactly (the largest absorbs the rounding)."""
    pairs = [(str(n), float(c)) for n, c in zip(names, counts, strict=True) if c > 0]
    total = sum(c for _, c in pairs)
    out = {n: round(c / total, SHARE_DIGITS) for n, c in pairs}
    largest = max(out, key=lambda n: out[n])
    out[largest] = round(1.0 - sum(v for n, v in out.items() if n != largest), 10)
    return out


def column_or(orders: pd.DataFrame, column: str, default: str) -> pd.Series:
    """An optional text column, or one default value where the log lacks it or it is blank."""
    if column not in orders:
        return pd.Series(default, index=orders.index, dtype=object)
    return orders[column].where(orders[column] != "", default)


def fit_channels(orders: pd.DataFrame, base: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per channel: share of regular (non-burst) demand, level mix, value multiplier."""
    channel = column_or(orders, "channel", ONE_CHANNEL)
    product = column_or(orders, "product_class", ONE_CLASS)
    value = orders["value"].to_numpy(dtype=float)
    class_mean = orders.groupby(product)["value"].transform("mean").to_numpy()
    multiplier = pd.Series(value / class_mean).groupby(channel.to_numpy()).mean()
    multiplier = multiplier / multiplier.loc[str(channel.value_counts().idxmax())]
    base_counts = channel[base].value_counts()
    names = sorted(channel.unique().tolist())
    share = shares(names, [base_counts.get(n, 0) + 1e-12 for n in names])
    express = (orders["service_level"] == "express").groupby(channel.to_numpy()).mean()
    return {
        n: {
            "share": share.get(n, 0.0),
            "level_mix": shares(SERVICE_LEVELS, [1.0 - float(express[n]), float(express[n])]),
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


def fit_promise_h(orders: pd.DataFrame, template: Mapping[str, Any]) -> dict[str, Any]:
    """Median promise (hours after ordering) per service level, with its spread for the report."""
    promise = orders["promised_h"] - orders["created_h"]
    out: dict[str, Any] = {"promise_h": {}, "spread_h": {}}
    for level in SERVICE_LEVELS:
        mine = promise[orders["service_level"] == level]
        if len(mine):
            out["promise_h"][level] = round(float(mine.median()), 2)
            out["spread_h"][level] = [round(float(mine.quantile(q)), 2) for q in (0.1, 0.9)]
        else:
            out["promise_h"][level] = float(template["service_levels"][level]["promise_h"])
    return out


def fit_service_mode(orders: pd.DataFrame, template: Mapping[str, Any]) -> dict[str, str]:
    """The mode each service level usually ships with."""
    routed = orders[orders["mode"] != ""]
    out = {}
    for level in SERVICE_LEVELS:
        modes = routed.loc[routed["service_level"] == level, "mode"]
        out[level] = str(modes.mode().iloc[0]) if len(modes) else ""
    fallback = next((m for m in out.values() if m), "")
    for level, mode in out.items():
        if not mode:
            out[level] = _template_mode(template, level) if fallback == "" else fallback
    return out


def _template_mode(template: Mapping[str, Any], level: str) -> str:
    """The mode most of the template level's customers choose."""
    mix = template["service_levels"][level]["mode_mix"]
    return str(max(mix, key=lambda m: mix[m]))


def service_levels(
    promise: Mapping[str, Any], service_mode: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """The service-level table from the fitted promises and modes (express is the urgent one)."""
    return {
        level: {
            "promise_h": promise["promise_h"][level],
            "promise_h_by_region": {},
            "mode_mix": {service_mode[level]: 1.0},
            "urgent": level == "express",
            "cancel_p": 0.0,
        }
        for level in SERVICE_LEVELS
    }
