"""Data quality of an order log: which rows to trust, and why the others were dropped.

A calibrated twin is only as good as its history. Test orders left in a log once skewed a routing
model (the source article's warning), so every row that cannot be a real order is dropped with a
reason, counted in the fit report and written out for someone to look at. Each row is charged to
the first reason that applies, in the order of :data:`REASONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scenarios.calibration.order_log import STATUSES
from scenarios.world import SERVICE_LEVELS

TEST_MARKERS = ("test",)  # an order_id or channel starting with one of these is a test order
REASONS = {
    "test_order": "test order (is_test, or an order id / channel starting with 'test')",
    "duplicate_row": "the same row again",
    "conflicting_duplicate": "an order id seen before, with other values",
    "unknown_code": "unknown service level or status, or no warehouse/mode on a shipped order",
    "negative_value": "negative value or cost, or fewer than one item",
    "impossible_time": "times out of order (shipped before created, delivered before shipped, "
    "promised before created) or missing for the status",
}


@dataclass(frozen=True)
class CleanLog:
    """The rows to fit on, the rows dropped (with a ``reason`` column), and counts per reason."""

    orders: pd.DataFrame
    dropped: pd.DataFrame
    counts: dict[str, int]
    rows_read: int


def _starts_with_marker(values: pd.Series) -> np.ndarray:
    lowered = values.astype(str).str.lower()
    return lowered.str.startswith(TEST_MARKERS).to_numpy()


def _reason_masks(log: pd.DataFrame, any_level: bool) -> dict[str, np.ndarray]:
    test = _starts_with_marker(log["order_id"])
    if "is_test" in log:
        test = test | log["is_test"].to_numpy(dtype=bool)
    if "channel" in log:
        test = test | _starts_with_marker(log["channel"])

    content = [c for c in log.columns if c != "line"]
    same_row = log.duplicated(subset=content, keep="first").to_numpy()
    same_id = log.duplicated(subset=["order_id"], keep="first").to_numpy()

    status = log["status"].to_numpy()
    shipped_ok = ~log["shipped_at"].isna().to_numpy()
    delivered_ok = ~log["delivered_at"].isna().to_numpy()
    level = log["service_level"].to_numpy()
    unknown = (level == "") if any_level else ~np.isin(level, SERVICE_LEVELS)
    unknown = unknown | ~np.isin(status, STATUSES)
    unrouted = (log["warehouse"].to_numpy() == "") | (log["mode"].to_numpy() == "")
    unknown = unknown | (shipped_ok & unrouted)

    negative = log["value"].to_numpy() < 0
    if "cost" in log:
        negative = negative | (log["cost"].to_numpy() < 0)
    if "items" in log:
        negative = negative | (log["items"].to_numpy() < 1)

    created, promised = log["created_at"], log["promised_at"]
    shipped, delivered = log["shipped_at"], log["delivered_at"]
    impossible = (shipped < created).to_numpy() | (delivered < shipped).to_numpy()
    impossible = impossible | (promised < created).to_numpy()
    impossible = impossible | (delivered_ok & ~shipped_ok)
    impossible = impossible | ((status == "delivered") & ~delivered_ok)
    impossible = impossible | ((status != "delivered") & delivered_ok)
    return {
        "test_order": test,
        "duplicate_row": same_row,
        "conflicting_duplicate": same_id & ~same_row,
        "unknown_code": unknown,
        "negative_value": negative,
        "impossible_time": impossible,
    }


def clean_log(log: pd.DataFrame, any_level: bool = False) -> CleanLog:
    """Split a parsed log into trusted orders and dropped rows, each with its reason.

    ``any_level``: every service-level name is a level (the scenario has a level table);
    otherwise only the fixed standard / express are known."""
    reason = np.full(len(log), "", dtype=object)
    for name, mask in _reason_masks(log, any_level).items():
        reason[(reason == "") & mask] = name
    keep = reason == ""
    dropped = log.loc[~keep].copy()
    dropped.insert(0, "reason", reason[~keep])
    counts = {name: int((reason == name).sum()) for name in REASONS}
    return CleanLog(
        orders=log.loc[keep].reset_index(drop=True),
        dropped=dropped.reset_index(drop=True),
        counts=counts,
        rows_read=len(log),
    )
