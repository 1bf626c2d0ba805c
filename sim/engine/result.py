"""What a run returns: order columns, time series, KPIs, and the invariants checked on them.

Columns are plain numpy arrays (the output layer makes DataFrames). The invariants are checked on
every run and fail loudly: every order accounted for (created = delivered + open + cancelled) and
stock never negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from scenarios.world import SERVICE_LEVELS
from sim.engine.customer import ExperienceModel
from sim.engine.kpis import CANCELLED, DELIVERED, OPEN, compute_kpis
from sim.engine.orderbook import Stage

if TYPE_CHECKING:
    from sim.engine.simulation import Simulation

WAREHOUSE_SERIES = (
    "backlog",
    "picking",
    "at_dock",
    "backordered",
    "stock_units",
    "pickers_on_shift",
)


class InvariantError(RuntimeError):
    """A run broke conservation of orders or non-negative stock: a bug, never a result."""


class TimeSeries:
    """Warehouse state sampled every ``interval_h``, preallocated."""

    def __init__(self, n_warehouses: int, interval_h: float, horizon_h: float) -> None:
        self.interval_h = interval_h
        n_samples = int(np.floor(horizon_h / interval_h)) + 1
        self.time_h = np.arange(n_samples) * interval_h
        self.values = {
            k: np.zeros((n_samples, n_warehouses), dtype=np.int64) for k in WAREHOUSE_SERIES
        }

    def record(self, warehouse: int, now_h: float, **values: int) -> None:
        row = int(round(now_h / self.interval_h))
        if row < len(self.time_h):
            for key, value in values.items():
                self.values[key][row, warehouse] = value


@dataclass
class RunResult:
    """Records of one replication."""

    orders: dict[str, np.ndarray]
    warehouse_series: dict[str, np.ndarray]  # long format: time_h, warehouse, one column each
    mode_series: dict[str, np.ndarray]  # long format: time_h, mode, shipped, in_transit
    kpis: dict[str, float]
    meta: dict[str, float | int | str] = field(default_factory=dict)

    @classmethod
    def from_simulation(cls, sim: Simulation) -> RunResult:
        world, book, o = sim.world, sim.book, sim.orders
        horizon = sim.horizon_h
        n = len(o)
        delivered = (book.stage == Stage.IN_TRANSIT) & (book.delivered_h <= horizon)
        cancelled = book.stage == Stage.CANCELLED
        status = np.full(n, OPEN, dtype=object)
        status[delivered] = DELIVERED
        status[cancelled] = CANCELLED
        delivered_h = np.where(delivered, book.delivered_h, np.nan)

        expected_h = sim.promised_h + o.expectation_extra_h
        experience = ExperienceModel(world.customer)
        open_ = status == OPEN
        # lateness vs the customer's own expectation; an open order already past it is censored
        lateness_days = np.where(delivered, (delivered_h - expected_h) / 24.0, np.nan)
        overdue_open = open_ & (expected_h < horizon)
        lateness_days[overdue_open] = (horizon - expected_h[overdue_open]) / 24.0
        # a claim opened before delivery (proactive contact) softens the perceived lateness
        contacted = book.claim_h < np.where(delivered, delivered_h, horizon)
        lateness_days[contacted] -= world.customer.claim_lateness_credit_days
        lateness_days = np.maximum(lateness_days, 0.0)
        promoter = experience.promoter_p(lateness_days)
        detractor = experience.detractor_p(lateness_days)
        promoter[cancelled] = world.customer.cancelled_promoter_p
        detractor[cancelled] = world.customer.cancelled_detractor_p
        early_days = np.where(delivered, (expected_h - delivered_h) / 24.0, 0.0)
        return_p = np.where(
            delivered,
            experience.return_p(world.demand.product_return_p[o.product], early_days),
            np.nan,
        )

        late_h = np.where(delivered, np.maximum(delivered_h - sim.promised_h, 0.0), np.nan)
        late_h[open_] = np.maximum(horizon - sim.promised_h[open_], 0.0)
        cost = (
            book.cost_pick_usd
            + book.cost_transport_usd
            + book.cost_exception_usd
            + book.cost_monitoring_usd
        )
        columns = {
            "order_id": np.arange(n, dtype=np.int64),
            "created_h": o.created_h,
            "region": np.asarray(world.regions, dtype=object)[o.region],
            "product_class": np.asarray(world.product_classes, dtype=object)[o.product],
            "channel": np.asarray(world.channels, dtype=object)[o.channel],
            "burst": names([b.name for b in world.demand.bursts], o.burst),
            "items": o.items,
            "value": o.value_usd,
            "margin": o.margin_usd,
            "vip": o.vip,
            "service_level": np.asarray(SERVICE_LEVELS, dtype=object)[o.service_level],
            "promised_h": sim.promised_h,
            "warehouse": names(world.warehouse_names, book.warehouse),
            "mode": names(world.mode_names, book.mode),
            "zone": book.zone,
            "routed_h": book.routed_h,
            "queued_h": book.queued_h,
            "pick_wait_h": book.pick_start_h - book.queued_h,
            "picked_h": book.picked_h,
            "shipped_h": book.shipped_h,
            "delivered_h": delivered_h,
            "cancelled_h": book.cancelled_h,
            "status": status,
            "late_h": late_h,
            "cost": cost,
            "cost_pick_usd": book.cost_pick_usd,
            "cost_transport_usd": book.cost_transport_usd,
            "cost_exception_usd": book.cost_exception_usd,
            "reroutes": book.reroutes,
            "backordered": book.backordered,
            "transferred": book.transferred,
            "expedited": book.expedited,
            "prioritised": book.prioritised,
            "lost": book.lost,
            "cost_monitoring_usd": book.cost_monitoring_usd,
            "storm_delay_h": book.storm_delay_h,
            "released_h": book.released_h,
            "held": book.held,
            "alert_level": book.alert_level,
            "alert_mask": book.alert_mask,
            "alert_first_h": book.alert_first_h,
            "claim_h": book.claim_h,
            "promoter_p": promoter,
            "detractor_p": detractor,
            "return_p": return_p,
        }
        kpis = compute_kpis(columns, sim.warmup_h, horizon, world.mode_names)
        ts = sim.timeseries
        n_wh = len(world.warehouses)
        warehouse_series = {
            "time_h": np.repeat(ts.time_h, n_wh),
            "warehouse": np.tile(np.asarray(world.warehouse_names, dtype=object), len(ts.time_h)),
            **{k: v.reshape(-1) for k, v in ts.values.items()},
        }
        mode_series = _mode_series(
            ts.time_h, book.mode, book.shipped_h, book.delivered_h, world.mode_names
        )
        result = cls(
            columns,
            warehouse_series,
            mode_series,
            kpis,
            meta={
                "seed": sim.seed,
                "scenario": world.name,
                "horizon_h": horizon,
                "warmup_h": sim.warmup_h,
                "events": _events_scheduled(sim),
                "replenishments": sum(w.replenishments for w in sim.warehouses),
                "pickups_skipped": sim.carriers.pickups_skipped,
                "storms": len(sim.storms.region),
                "forecasts": len(sim.forecasts.region),
            },
        )
        result.check_invariants(min_stock=min(int(w.min_on_hand.min()) for w in sim.warehouses))
        return result

    def check_invariants(self, min_stock: int) -> None:
        k = self.kpis
        total = len(self.orders["status"])
        counts = {s: int((self.orders["status"] == s).sum()) for s in (DELIVERED, OPEN, CANCELLED)}
        if sum(counts.values()) != total:
            raise InvariantError(f"orders not accounted for: {total} created, {counts}")
        if k["orders_created"] != k["orders_delivered"] + k["orders_open"] + k["orders_cancelled"]:
            raise InvariantError(f"KPI conservation broken: {k}")
        if min_stock < 0:
            raise InvariantError(f"stock went negative (minimum {min_stock} units)")
        stock = self.warehouse_series["stock_units"]
        if len(stock) and stock.min() < -1:  # -1 marks "stock not modelled"
            raise InvariantError("sampled stock went negative")


def names(table: tuple[str, ...] | list[str], idx: np.ndarray) -> np.ndarray:
    """Names for indices, with "" for -1 (none)."""
    return np.asarray(["", *table], dtype=object)[idx + 1]


def _mode_series(
    time_h: np.ndarray,
    mode: np.ndarray,
    shipped_h: np.ndarray,
    delivered_h: np.ndarray,
    mode_names: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Per mode and sample time: parcels shipped since the previous sample, and in transit."""
    rows_t, rows_m, shipped, in_transit = [], [], [], []
    edges = np.append(time_h, np.inf)
    for m, name in enumerate(mode_names):
        mine = (mode == m) & ~np.isnan(shipped_h)
        s = np.sort(shipped_h[mine])
        d = np.sort(delivered_h[mine])
        cum_shipped = np.searchsorted(s, edges, side="right")
        cum_delivered = np.searchsorted(d, time_h, side="right")
        rows_t.append(time_h)
        rows_m.append(np.full(len(time_h), name, dtype=object))
        shipped.append(np.diff(np.concatenate([[0], cum_shipped[:-1]])))
        in_transit.append(cum_shipped[:-1] - cum_delivered)
    return {
        "time_h": np.concatenate(rows_t),
        "mode": np.concatenate(rows_m),
        "shipped": np.concatenate(shipped).astype(np.int64),
        "in_transit": np.concatenate(in_transit).astype(np.int64),
    }


def _events_scheduled(sim: Simulation) -> int:
    """SimPy's event id counter: how many events the run scheduled."""
    counter = getattr(sim.env, "_eid", None)
    return int(next(counter)) if counter is not None else -1
