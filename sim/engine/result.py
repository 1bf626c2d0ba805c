"""What a run returns: order columns, time series, KPIs, and the invariants checked on them.

Columns are plain numpy arrays (the output layer makes DataFrames). The invariants are checked on
every run and fail loudly: every order accounted for (created = delivered + open + cancelled),
stock never negative, and the cost columns reconciled with the cost ledger; the simulation checks
order places and unit conservation itself (:mod:`sim.engine.invariants`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from scenarios.world import World
from sim.engine.contract import Stage
from sim.engine.customer import ExperienceModel
from sim.engine.demand import OrderStream
from sim.engine.invariants import InvariantError, check_cost_total, check_costs
from sim.engine.kpis import CANCELLED, DELIVERED, OPEN, compute_kpis
from sim.engine.orderbook import OrderBook

WAREHOUSE_SERIES = (
    "backlog",
    "picking",
    "at_dock",
    "backordered",
    "stock_units",
    "pickers_on_shift",
)


__all__ = ["FinishedRun", "InvariantError", "RunResult", "TimeSeries", "collect"]


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
        """Write the row sampled at ``now_h`` (ignored unless ``now_h`` is a sample time)."""
        row = int(round(now_h / self.interval_h))
        if row < len(self.time_h) and abs(now_h - self.time_h[row]) <= 1e-6 * self.interval_h:
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

    def check_invariants(self, min_stock: int) -> None:
        """Raise :class:`InvariantError` if orders, stock or costs do not add up."""
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
        check_cost_total(self.orders)


@dataclass(frozen=True)
class FinishedRun:
    """What the simulation hands over when it stops: the records and a few run facts."""

    world: World
    orders: OrderStream
    book: OrderBook
    promised_h: np.ndarray
    timeseries: TimeSeries
    seed: int
    warmup_h: float
    horizon_h: float
    end_h: float  # when outcomes are read: the cohort resolved, or the cool-down limit
    stopped_h: float  # when the simulation stopped (end_h or, with nothing left to act, before)
    n_before_horizon: int  # orders created before the horizon: the rows of the order records
    min_stock: int  # lowest true stock of any product anywhere during the run
    counts: Mapping[str, int]  # events, replenishments, pickups skipped, storms, forecasts


def collect(run: FinishedRun) -> RunResult:
    """Turn a finished run into its records, KPIs and series; check the invariants."""
    columns = order_columns(run)
    kpis = compute_kpis(columns, run.warmup_h, run.horizon_h, run.world.mode_names)
    cohort = (columns["created_h"] >= run.warmup_h) & (columns["created_h"] < run.horizon_h)
    resolved = columns["status"] != OPEN
    last_h = np.fmax(columns["delivered_h"], columns["cancelled_h"])[cohort & resolved]
    result = RunResult(
        columns,
        _warehouse_series(run),
        _mode_series(
            run.timeseries.time_h,
            run.book.mode,
            run.book.shipped_h,
            run.book.delivered_h,
            run.world.mode_names,
        ),
        kpis,
        meta={
            "seed": run.seed,
            "scenario": run.world.name,
            "horizon_h": run.horizon_h,
            "warmup_h": run.warmup_h,
            "end_h": run.end_h,
            "stopped_h": run.stopped_h,
            "cohort_resolved_h": float(last_h.max()) if len(last_h) else run.horizon_h,
            **run.counts,
        },
    )
    result.check_invariants(min_stock=run.min_stock)
    check_costs(run.book.charged, run.book.cost_columns())
    return result


def _status(book: OrderBook, end_h: float) -> np.ndarray:
    """delivered / open / cancelled as of the end of the run (open: unresolved)."""
    delivered = (book.stage == Stage.IN_TRANSIT) & (book.delivered_h <= end_h)
    status = np.full(len(book), OPEN, dtype=object)
    status[delivered] = DELIVERED
    status[book.stage == Stage.CANCELLED] = CANCELLED
    return status


def _experience(
    run: FinishedRun, status: np.ndarray, delivered_h: np.ndarray
) -> dict[str, np.ndarray]:
    """Promoter, detractor and return probabilities from lateness against the customer's own
    expectation. An order never served — cancelled, or still open when the run ended (the cohort
    had the whole cool-down to resolve) — is rated as a cancellation; one the customer cancelled
    at checkout is not rated (it left of its own accord, before the network did anything)."""
    world, book, o = run.world, run.book, run.orders
    delivered, never_served = status == DELIVERED, (status == CANCELLED) | (status == OPEN)
    expected_h = run.promised_h + o.expectation_extra_h
    experience = ExperienceModel(world.customer)
    lateness_days = np.where(delivered, (delivered_h - expected_h) / 24.0, np.nan)
    # a claim opened before delivery (proactive contact) softens the perceived lateness
    contacted = delivered & (book.claim_h < delivered_h)
    lateness_days[contacted] -= world.customer.claim_lateness_credit_days
    lateness_days = np.maximum(lateness_days, 0.0)
    promoter = experience.promoter_p(lateness_days)
    detractor = experience.detractor_p(lateness_days)
    promoter[never_served] = world.customer.cancelled_promoter_p
    detractor[never_served] = world.customer.cancelled_detractor_p
    promoter[book.customer_cancelled] = np.nan
    detractor[book.customer_cancelled] = np.nan
    early_days = np.where(delivered, (expected_h - delivered_h) / 24.0, 0.0)
    return_p = np.where(
        delivered,
        experience.return_p(world.demand.product_return_p[o.product], early_days),
        np.nan,
    )
    return {"promoter_p": promoter, "detractor_p": detractor, "return_p": return_p}


def order_columns(run: FinishedRun) -> dict[str, np.ndarray]:
    """One column per field of ``orders.parquet`` (README: Order columns): one row per order
    created before the horizon (arrivals of the cool-down are simulated, not recorded), with its
    state when the run ended."""
    return _order_columns(_before_horizon(run))


def _before_horizon(run: FinishedRun) -> FinishedRun:
    """The run's records cut to the orders created before the horizon."""
    n = run.n_before_horizon
    book = OrderBook(0)
    for name, column in vars(run.book).items():
        if isinstance(column, np.ndarray):
            setattr(book, name, column[:n])
    return dataclasses.replace(
        run, orders=run.orders.head(n), book=book, promised_h=run.promised_h[:n]
    )


def _order_columns(run: FinishedRun) -> dict[str, np.ndarray]:
    world, book, o, horizon = run.world, run.book, run.orders, run.end_h
    status = _status(book, horizon)
    delivered, open_ = status == DELIVERED, status == OPEN
    delivered_h = np.where(delivered, book.delivered_h, np.nan)
    experience = _experience(run, status, delivered_h)
    late_h = np.where(delivered, np.maximum(delivered_h - run.promised_h, 0.0), np.nan)
    late_h[open_] = np.maximum(horizon - run.promised_h[open_], 0.0)
    cost = (
        book.cost_pick_usd
        + book.cost_transport_usd
        + book.cost_exception_usd
        + book.cost_monitoring_usd
        + book.cost_unserved_usd
    )
    return {
        "order_id": np.arange(len(o), dtype=np.int64),
        "created_h": o.created_h,
        "region": np.asarray(world.regions, dtype=object)[o.region],
        "product_class": np.asarray(world.product_classes, dtype=object)[o.product],
        "channel": np.asarray(world.channels, dtype=object)[o.channel],
        "burst": names([b.name for b in world.demand.bursts], o.burst),
        "items": o.items,
        "value": o.value_usd,
        "margin": o.margin_usd,
        "vip": o.vip,
        "service_level": np.asarray(world.level_names, dtype=object)[o.service_level],
        "urgent": o.urgent,
        "promised_h": run.promised_h,
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
        "customer_cancelled": book.customer_cancelled,
        "cost_monitoring_usd": book.cost_monitoring_usd,
        "cost_unserved_usd": book.cost_unserved_usd,
        "storm_delay_h": book.storm_delay_h,
        "released_h": book.released_h,
        "held": book.held,
        "alert_level": book.alert_level,
        "alert_mask": book.alert_mask,
        "alert_first_h": book.alert_first_h,
        "claim_h": book.claim_h,
        **experience,
    }


def _warehouse_series(run: FinishedRun) -> dict[str, np.ndarray]:
    ts, n_wh = run.timeseries, len(run.world.warehouses)
    return {
        "time_h": np.repeat(ts.time_h, n_wh),
        "warehouse": np.tile(np.asarray(run.world.warehouse_names, dtype=object), len(ts.time_h)),
        **{k: v.reshape(-1) for k, v in ts.values.items()},
    }


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


def events_scheduled(env: object) -> int:
    """How many events a SimPy environment has scheduled, from its private event-id counter
    (``Environment._eid``, an ``itertools.count``): the one place that reads it; a test fails
    loudly if SimPy changes it."""
    counter = getattr(env, "_eid", None)
    return int(next(counter)) if counter is not None else -1
