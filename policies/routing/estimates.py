"""What a router can estimate from its view, per order and candidate (warehouse, mode).

Shared by the cost-, rule-, value- and model-based routers so they reason from the same
observable facts: the OMS's stock estimate (last sync minus its own allocations since), when a
candidate warehouse would finish picking given its backlog and shifts, the next carrier pickup
after that, expected transit by zone, and forecast storms. Arrays are ``[order, warehouse, mode]``
unless named otherwise; NaN marks a warehouse that does not serve the order's region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.world import Weather, World
from sim.engine.contract import OrderBatch, RoutingView


def estimated_stock(view: RoutingView) -> np.ndarray:
    """[warehouse, product] units: last synced stock minus what the OMS allocated since."""
    return view.visible_stock() - view.allocated_since_sync()


@dataclass(frozen=True)
class NetworkPlan:
    """What the estimates need from the network that never changes during a run (build it once,
    in the policy's ``start``)."""

    staffed: np.ndarray  # pickers per warehouse
    warehouse_region: np.ndarray
    shift_start_h: list[np.ndarray]  # per warehouse
    shift_end_h: list[np.ndarray]
    pickup_hours: np.ndarray  # [mode, k], padded with +inf
    storm_delay_h: np.ndarray  # by mode, for a storm of the scenario's mean severity
    weather: Weather  # the storm delay model (public: the scenario's storm climate)

    @classmethod
    def of(cls, world: World) -> NetworkPlan:
        longest = max(len(m.pickup_hours) for m in world.modes)
        pickups = np.full((len(world.modes), longest), np.inf)
        for m, mode in enumerate(world.modes):
            pickups[m, : len(mode.pickup_hours)] = mode.pickup_hours
        return cls(
            staffed=np.array([w.pickers for w in world.warehouses], dtype=float),
            warehouse_region=np.array([w.region for w in world.warehouses]),
            shift_start_h=[np.array([s.start_h for s in w.shifts]) for w in world.warehouses],
            shift_end_h=[
                np.array([s.start_h + s.length_h for s in w.shifts]) for w in world.warehouses
            ],
            pickup_hours=pickups,
            storm_delay_h=np.array([m.storm_delay_h for m in world.modes]),
            weather=world.weather,
        )

    def hours_until_staffed(self, now_h: float) -> np.ndarray:
        """By warehouse: 0 if a shift is on, else hours until the next one starts."""
        hour = now_h % 24.0
        out = np.zeros(len(self.staffed))
        for w, (start, end) in enumerate(zip(self.shift_start_h, self.shift_end_h, strict=True)):
            if (
                len(start)
                and not (
                    ((start <= hour) & (hour < end))
                    | ((start <= hour + 24.0) & (hour + 24.0 < end))
                ).any()
            ):
                out[w] = ((start - hour) % 24.0).min()
        return out

    def next_pickup_h(self, ready_h: np.ndarray) -> np.ndarray:
        """[warehouse, mode]: the first scheduled pickup at or after each ready time."""
        day = (np.floor(ready_h / 24.0) * 24.0)[:, None, None]
        today = day + self.pickup_hours[None, :, :]
        later = np.where(today >= ready_h[:, None, None], today, today + 24.0)
        return np.asarray(later.min(axis=2))


@dataclass(frozen=True)
class CandidateEstimates:
    """Everything the routers compare, for one batch."""

    zone: np.ndarray  # [order, warehouse], 0 = not served
    eta_h: np.ndarray  # [order, warehouse, mode] expected delivery hour
    transport_usd: np.ndarray  # [order, warehouse, mode]
    stock_short: np.ndarray  # [order, warehouse] the stock estimate does not cover the order
    storm_at_destination: np.ndarray  # [order, warehouse, mode] forecast storm meets the transit
    storm_at_warehouse: np.ndarray  # [warehouse, mode] the next pickup falls in a forecast storm
    backlog_h: np.ndarray  # [warehouse] hours of work queued per picker on shift

    @property
    def served(self) -> np.ndarray:
        return np.asarray(self.zone > 0)


def estimate(orders: OrderBatch, view: RoutingView, plan: NetworkPlan) -> CandidateEstimates:
    """Candidate estimates for a batch, from the view only."""
    now = view.now_h
    zone = view.zone[orders.region]
    backlog = view.backlog().astype(float)
    on_shift = view.pickers_on_shift().astype(float)
    working = np.where(on_shift > 0, on_shift, plan.staffed)
    backlog_h = backlog * view.pick_time_mean_h / working
    pick_done = now + plan.hours_until_staffed(now) + backlog_h + view.pick_time_mean_h
    storm_start, storm_end = view.storm_window()
    wh_start = storm_start[plan.warehouse_region]
    wh_end = storm_end[plan.warehouse_region]
    pickup = plan.next_pickup_h(pick_done)
    # a storm over the warehouse may stop its pickups: plan for the first one after it
    blocked = (pickup >= wh_start[:, None]) & (pickup < wh_end[:, None])
    storm_wh = blocked
    if blocked.any():
        after = plan.next_pickup_h(np.where(np.isfinite(wh_end), wh_end, pick_done))
        pickup = np.where(blocked, after, pickup)
    transit = view.transit_mean_h[:, zone].transpose(1, 2, 0)  # [order, warehouse, mode]
    eta = pickup[None, :, :] + transit
    d_start = storm_start[orders.region][:, None, None]
    d_end = storm_end[orders.region][:, None, None]
    storm_dest = (pickup[None, :, :] < d_end) & (eta > d_start)
    # the engine's delay model at the forecast severity (forecasts carry severity errors)
    severity = view.storm_forecast_severity()[orders.region][:, None, None]
    delay = plan.weather.transit_delay_h(1.0, severity) * plan.storm_delay_h[None, None, :]
    eta = eta + delay * storm_dest
    eta[zone == 0] = np.nan
    price = view.price_usd[:, zone].transpose(1, 2, 0)
    stock = estimated_stock(view)[:, orders.product].T  # [order, warehouse]
    return CandidateEstimates(
        zone=zone,
        eta_h=eta,
        transport_usd=price,
        stock_short=stock < orders.items[:, None],
        storm_at_destination=storm_dest,
        storm_at_warehouse=storm_wh,
        backlog_h=backlog_h,
    )


def nearest_choice(orders: OrderBatch, est: CandidateEstimates, allowed: np.ndarray) -> np.ndarray:
    """By order: the lowest-zone allowed warehouse (ties: shorter backlog); if nothing is
    allowed, the lowest-zone warehouse that serves the region and has not failed the order."""
    return lowest_zone(est.zone, orders.excluded, allowed, est.backlog_h)


def lowest_zone(
    zone: np.ndarray, excluded: np.ndarray, allowed: np.ndarray, backlog: np.ndarray
) -> np.ndarray:
    """The choice every nearest-first router makes: per order, the lowest-zone ``allowed``
    warehouse, ties to the smaller ``backlog``; with none allowed, the lowest-zone warehouse that
    serves the region and has not failed the order (or any that serves it)."""
    served = zone > 0
    fallback = np.asarray(served & ~excluded)
    stuck = ~fallback.any(axis=1)
    fallback[stuck] = served[stuck]
    use = np.where(np.any(allowed, axis=1)[:, None], allowed, fallback)
    tie = backlog / (backlog.max() + 1.0) * 0.5
    score = np.where(use, zone + tie[None, :], np.inf)
    return np.argmin(score, axis=1)
