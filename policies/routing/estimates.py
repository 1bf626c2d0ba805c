"""What a router can estimate from its view, per order and candidate (warehouse, mode).

Shared by the cost-, rule-, value- and model-based routers so they reason from the same
observable facts: the OMS's stock estimate (last sync minus its own allocations since), when a
candidate warehouse would finish picking given its backlog and shifts, the next carrier pickup
after that, expected transit by zone, and forecast storms. Arrays are ``[order, warehouse, mode]``
unless named otherwise; NaN marks a warehouse that does not serve the order's region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scenarios.world import Weather, World
from sim.engine.contract import OrderBatch, RoutingView

STAFFING_CACHE = 1024  # hours of the day remembered by hours_until_staffed


def estimated_stock(view: RoutingView) -> np.ndarray:
    """[warehouse, product] units: last synced stock minus what the OMS allocated since."""
    return view.visible_stock() - view.allocated_since_sync()


@dataclass(frozen=True)
class NetworkPlan:
    """What the estimates need from the network that never changes during a run (build it once,
    in the policy's ``start``)."""

    staffed: np.ndarray  # pickers per warehouse
    warehouse_region: np.ndarray
    shift_start_h: np.ndarray  # [warehouse, shift], padded with NaN
    shift_end_h: np.ndarray
    pickup_hours: np.ndarray  # [mode, k], padded with +inf
    storm_delay_h: np.ndarray  # by mode, for a storm of the scenario's mean severity
    weather: Weather  # the storm delay model (public: the scenario's storm climate)
    # by region, [region, warehouse, mode]: a batch's lanes are one gather of these
    transit_mean_h: np.ndarray
    price_usd: np.ndarray
    # hours_until_staffed by hour of the day: waves come at the same few hours every day
    _staffing: dict[float, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, world: World) -> NetworkPlan:
        longest = max(len(m.pickup_hours) for m in world.modes)
        pickups = np.full((len(world.modes), longest), np.inf)
        for m, mode in enumerate(world.modes):
            pickups[m, : len(mode.pickup_hours)] = mode.pickup_hours
        most = max(len(w.shifts) for w in world.warehouses)
        start = np.full((len(world.warehouses), most), np.nan)
        end = np.full((len(world.warehouses), most), np.nan)
        for w, spec in enumerate(world.warehouses):
            start[w, : len(spec.shifts)] = [s.start_h for s in spec.shifts]
            end[w, : len(spec.shifts)] = [s.start_h + s.length_h for s in spec.shifts]
        return cls(
            staffed=np.array([w.pickers for w in world.warehouses], dtype=float),
            warehouse_region=np.array([w.region for w in world.warehouses]),
            shift_start_h=start,
            shift_end_h=end,
            pickup_hours=pickups,
            storm_delay_h=np.array([m.storm_delay_h for m in world.modes]),
            weather=world.weather,
            transit_mean_h=world.transit_mean_table_h()[:, world.zone].transpose(1, 2, 0).copy(),
            price_usd=world.price_table_usd()[:, world.zone].transpose(1, 2, 0).copy(),
        )

    def hours_until_staffed(self, now_h: float) -> np.ndarray:
        """By warehouse: 0 if a shift is on (or it has no shifts), else hours until the next one
        starts."""
        hour = now_h % 24.0
        known = self._staffing.get(hour)
        if known is not None:
            return known
        start, end = self.shift_start_h, self.shift_end_h  # NaN padding compares False
        on = ((start <= hour) & (hour < end)) | ((start <= hour + 24.0) & (hour + 24.0 < end))
        wait = np.fmin.reduce((start - hour) % 24.0, axis=1, initial=np.inf)
        out = np.where(on.any(axis=1) | np.isinf(wait), 0.0, wait)
        out.setflags(write=False)
        if len(self._staffing) >= STAFFING_CACHE:  # arrivals routed one by one: every hour new
            self._staffing.clear()
        self._staffing[hour] = out
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
    """Candidate estimates for a batch, from the view (and the network's fixed tables)."""
    now = view.now_h
    zone = view.zone[orders.region]
    backlog = view.backlog().astype(float)
    on_shift = view.pickers_on_shift().astype(float)
    working = np.where(on_shift > 0, on_shift, plan.staffed)
    backlog_h = backlog * view.pick_time_mean_h / working
    pick_done = now + plan.hours_until_staffed(now) + backlog_h + view.pick_time_mean_h
    pickup = plan.next_pickup_h(pick_done)
    transit = plan.transit_mean_h[orders.region]  # [order, warehouse, mode]
    storm_start, storm_end = view.storm_window()
    if np.isinf(storm_start).all():  # no storm forecast: none stops a pickup or meets a parcel
        eta = pickup[None, :, :] + transit
        storm_dest = np.zeros(eta.shape, dtype=bool)
        storm_wh = np.zeros(pickup.shape, dtype=bool)
    else:
        eta, storm_dest, storm_wh = _storm_adjusted(
            orders, view, plan, pick_done, pickup, transit, storm_start, storm_end
        )
    eta[zone == 0] = np.nan
    stock = estimated_stock(view)[:, orders.product].T  # [order, warehouse]
    return CandidateEstimates(
        zone=zone,
        eta_h=eta,
        transport_usd=plan.price_usd[orders.region],
        stock_short=stock < orders.items[:, None],
        storm_at_destination=storm_dest,
        storm_at_warehouse=storm_wh,
        backlog_h=backlog_h,
    )


def _storm_adjusted(
    orders: OrderBatch,
    view: RoutingView,
    plan: NetworkPlan,
    pick_done: np.ndarray,
    pickup: np.ndarray,
    transit: np.ndarray,
    storm_start: np.ndarray,
    storm_end: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ETA, storm at destination, storm at warehouse) with forecast storms: a storm over the
    warehouse may stop its pickups (plan for the first one after it), one over the destination
    delays the parcel."""
    wh_start = storm_start[plan.warehouse_region]
    wh_end = storm_end[plan.warehouse_region]
    blocked = (pickup >= wh_start[:, None]) & (pickup < wh_end[:, None])
    if blocked.any():
        after = plan.next_pickup_h(np.where(np.isfinite(wh_end), wh_end, pick_done))
        pickup = np.where(blocked, after, pickup)
    eta = pickup[None, :, :] + transit
    d_start = storm_start[orders.region][:, None, None]
    d_end = storm_end[orders.region][:, None, None]
    storm_dest = (pickup[None, :, :] < d_end) & (eta > d_start)
    # the engine's delay model at the forecast severity (forecasts carry severity errors)
    severity = view.storm_forecast_severity()[orders.region][:, None, None]
    delay = plan.weather.transit_delay_h(1.0, severity) * plan.storm_delay_h[None, None, :]
    return eta + delay * storm_dest, storm_dest, blocked


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
