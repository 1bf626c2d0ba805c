"""Features of each routing candidate (order x warehouse x mode), from the router's view only.

The learned router is trained and scored on exactly these columns; they are what the view
offers (stock estimate, backlog, carrier load, forecast storms, time, order attributes) plus the
rule-of-thumb estimates the other routers use, so the model starts from what a planner knows.
"""

from __future__ import annotations

import numpy as np

from policies.routing.estimates import CandidateEstimates
from sim.engine.contract import OrderBatch, RoutingView

BASE_FEATURES = (
    "zone",
    "eta_rule_of_thumb_h",
    "hours_to_pickup",
    "transit_mean_h",
    "backlog_h",
    "storm_at_destination",
    "storm_at_warehouse",
    "carrier_load",
    "stock_short",
    "hour_sin",
    "hour_cos",
    "weekday",
    "express",
    "items",
    "value_usd",
)


def feature_names(mode_names: tuple[str, ...]) -> tuple[str, ...]:
    return BASE_FEATURES + tuple(f"mode_{m}" for m in mode_names)


def candidate_features(
    orders: OrderBatch,
    view: RoutingView,
    est: CandidateEstimates,
    order: np.ndarray,
    warehouse: np.ndarray,
    mode: np.ndarray,
) -> np.ndarray:
    """[candidate, feature] as float32 for the candidates (order[k], warehouse[k], mode[k])."""
    now = view.now_h
    _, n_wh, n_modes = est.eta_h.shape
    pair = order * n_wh + warehouse  # flat [order, warehouse] and [warehouse, mode] indices:
    lane = warehouse * n_modes + mode  # one plain gather per column
    out = np.empty((len(order), len(BASE_FEATURES) + n_modes), dtype=np.float32)
    zone = est.zone.ravel().take(pair)
    transit = view.transit_mean_h[mode, zone]
    eta = est.eta_h.ravel().take(pair * n_modes + mode) - now
    hour = 2 * np.pi * (now % 24.0) / 24.0
    out[:, 0] = zone
    out[:, 1] = eta
    out[:, 2] = eta - transit
    out[:, 3] = transit
    out[:, 4] = est.backlog_h.take(warehouse)
    out[:, 5] = est.storm_at_destination.ravel().take(pair * n_modes + mode)
    out[:, 6] = est.storm_at_warehouse.ravel().take(lane)
    out[:, 7] = view.carrier_load().ravel().take(lane)
    out[:, 8] = est.stock_short.ravel().take(pair)
    out[:, 9:12] = (np.sin(hour), np.cos(hour), (now // 24.0 + view.world.start_weekday) % 7)
    out[:, 12] = orders.urgent.take(order)
    out[:, 13] = orders.items.take(order)
    out[:, 14] = orders.value_usd.take(order)
    out[:, len(BASE_FEATURES) :] = mode[:, None] == np.arange(n_modes)
    return out
