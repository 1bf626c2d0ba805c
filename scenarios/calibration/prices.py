"""Carrier prices per mode (and zone) from the log's ``cost`` column, where the log has one.

A template's prices say nothing about a company's carriers: with every mode priced at the
template's ground prices, ``cheapest`` "wins" by shipping everything express at no extra cost.
A log's ``cost`` is the order's fulfilment cost, in USD after the currency option: pick/pack
plus the carrier's price (plus, for a few orders, exceptions such as a re-route). So each
delivered order's carrier price is its cost less the template's pick/pack charge (``pick_pack_usd``
plus ``extra_item_usd`` per item beyond the first, as the engine charges), and a mode's price in
a zone is the **median** of those: the price of a plain parcel, since the twin charges its own
exceptions on top and a mean would count them twice. Prices come per mode and zone where a cell
has :data:`MIN_ORDERS` delivered orders with a cost; a thinner zone of a mode that has them in
all gets the template's price for the zone times the mode's median ratio of logged to template
price (the template's step between zones, the log's level: a far zone never used stays dearer
than a near one); a mode with fewer keeps the template's prices. The fit report says which for
every mode and zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from scenarios.world import Costs

MIN_ORDERS = 30  # delivered orders with a cost needed to price a mode (in a zone)


def carrier_price_usd(orders: pd.DataFrame, costs: Mapping[str, Any]) -> np.ndarray:
    """Each order's cost less the engine's pick/pack charge for it (NaN without a cost)."""
    items = orders["items"].to_numpy(dtype=float) if "items" in orders else np.ones(len(orders))
    items = np.where(np.isfinite(items), items, 1.0)
    pick = Costs.from_conf(costs).pick_pack_charge_usd(items)
    return np.asarray(orders["cost"].to_numpy(dtype=float) - pick)


def fit_mode_prices(
    orders: pd.DataFrame,
    zone: np.ndarray,
    template_prices: Mapping[str, Sequence[float]],
    costs: Mapping[str, Any],
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Prices per mode by zone (``template_prices``' modes and lengths) and the report: per mode
    its source, orders priced and, per zone, the price and where it came from. ``zone`` is each
    order's 1-based zone (0: none); ``orders`` carries ``mode``, ``status`` and maybe ``cost``."""
    out = {m: [float(p) for p in prices] for m, prices in template_prices.items()}
    report: dict[str, Any] = {}
    if "cost" not in orders or not orders["cost"].notna().any():
        report = {m: {"source": "template (the log has no cost column)"} for m in out}
        return out, report
    price = carrier_price_usd(orders, costs)
    usable = (orders["status"] == "delivered").to_numpy() & np.isfinite(price)
    for mode, prices in out.items():
        mine = usable & (orders["mode"] == mode).to_numpy()
        n = int(mine.sum())
        if n < MIN_ORDERS:
            report[mode] = {
                "source": f"template ({n} delivered orders with a cost, < {MIN_ORDERS})",
                "orders": n,
            }
            continue
        template = np.asarray(prices, dtype=float)
        zoned = mine & (zone >= 1) & (zone <= len(prices))
        ratio = float(np.median(price[zoned] / template[zone[zoned] - 1])) if zoned.any() else 1.0
        by_zone: dict[str, Any] = {}
        for z in range(1, len(prices) + 1):
            cell = mine & (zone == z)
            k = int(cell.sum())
            own = k >= MIN_ORDERS
            value = float(np.median(price[cell])) if own else ratio * template[z - 1]
            prices[z - 1] = round(max(float(value), 0.0), 2)
            by_zone[str(z)] = {
                "price_usd": prices[z - 1],
                "orders": k,
                "from": "zone" if own else "mode",
            }
        report[mode] = {
            "source": "log (median cost less pick/pack)",
            "orders": n,
            "ratio_to_template": round(ratio, 4),
            "by_zone": by_zone,
        }
    return out, report
