"""How a sweep measured: the cohort, its cool-down, what stayed unresolved and whose CO2e is
unknown, in plain rows for the report's settings table (the STRESS guideline asks for run length,
warm-up and output analysis to be stated)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def method_rows(config: Mapping[str, Any], finished: pd.DataFrame) -> list[tuple[str, str]]:
    """Rows (setting, value): how KPIs were measured, and the unresolved orders of the sweep."""
    cooldown = config.get("cooldown_days")
    rows = [
        (
            "measurement",
            "KPIs over the cohort of orders created between the warm-up and the horizon; each "
            "run goes on past the horizon (arrivals continuing, not counted) until every cohort "
            f"order is delivered or cancelled, at most {cooldown} more days (cool-down); "
            "delivery time from creation; promises never change; an order never served costs "
            "its lost margin (+ cancel_usd if still open)",
        )
    ]
    if "orders_unresolved" in finished:
        unresolved = pd.to_numeric(finished["orders_unresolved"], errors="coerce").fillna(0)
        created = pd.to_numeric(finished["orders_created"], errors="coerce").fillna(0)
        rows.append(
            (
                "unresolved at the end of the cool-down",
                f"{int(unresolved.sum()):,} of {int(created.sum()):,} cohort orders "
                f"({int((unresolved > 0).sum())} of {len(finished)} runs)",
            )
        )
    rows += co2e_rows(finished)
    return rows


def co2e_rows(finished: pd.DataFrame) -> list[tuple[str, str]]:
    """A warning row when some shipped orders' CO2e is unknown (left out of co2e_kg_per_order)."""
    if "co2e_unknown_orders" not in finished:
        return []
    unknown = pd.to_numeric(finished["co2e_unknown_orders"], errors="coerce").fillna(0)
    if not (unknown > 0).any():
        return []
    return [
        (
            "warning: CO2e unknown",
            f"{int(unknown.sum()):,} shipped cohort orders ({int((unknown > 0).sum())} of "
            f"{len(finished)} runs) have no CO2e (a lane without a distance, a mode without an "
            "emission factor or a class without an item weight): co2e_kg_per_order averages "
            "the others only",
        )
    ]
