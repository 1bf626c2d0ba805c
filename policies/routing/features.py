"""Features of each routing candidate (order x warehouse x mode), from the router's view only.

The learned router is trained and scored on exactly these columns; they are what the view
offers (stock estimate, backlog, carrier load, forecast storms, time, order attributes) plus the
rule-of-thumb estimates the other routers use, so the model starts from what a planner knows.
"""

from __future__ import annotations

import numpy as np

from policies.routing.estimates import CandidateEstimates
from sim.engine.views import OrderBatch, RoutingView

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
    orders: OrderBatch, view: RoutingView, est: CandidateEstimates
) -> np.ndarray:
    """[order, warehouse, mode, feature] as float32 (NaN rows for warehouses not serving)."""
    n, n_wh, n_modes = est.eta_h.shape
    now = view.now_h
    shape = (n, n_wh, n_modes)
    zone = np.broadcast_to(est.zone[:, :, None], shape)
    transit = view.transit_mean_h[:, est.zone].transpose(1, 2, 0)
    eta = est.eta_h - now
    to_pickup = eta - transit
    hour = 2 * np.pi * (now % 24.0) / 24.0
    columns = [
        zone,
        eta,
        to_pickup,
        transit,
        np.broadcast_to(est.backlog_h[None, :, None], shape),
        est.storm_at_destination,
        np.broadcast_to(est.storm_at_warehouse[None, :, :], shape),
        np.broadcast_to(view.carrier_load()[None, :, :], shape),
        np.broadcast_to(est.stock_short[:, :, None], shape),
        np.full(shape, np.sin(hour)),
        np.full(shape, np.cos(hour)),
        np.full(shape, (now // 24.0) % 7),
        np.broadcast_to((orders.service_level == 1)[:, None, None], shape),
        np.broadcast_to(orders.items[:, None, None], shape),
        np.broadcast_to(orders.value_usd[:, None, None], shape),
    ]
    columns += [
        np.broadcast_to((np.arange(n_modes) == m)[None, None, :], shape) for m in range(n_modes)
    ]
    return np.stack(columns, axis=-1).astype(np.float32)
