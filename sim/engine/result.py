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
from sim.engine.emissions import co2e_kg
from sim.engine.invariants import InvariantError, check_cost_total, check_costs
from sim.engine.kpi_sums import KpiSums
from sim.engine.kpis import CANCELLED, DELIVERED, NAN, OPEN
from sim.engine.ledger import CostLedger
from sim.engine.orderbook import OrderBook
from sim.engine.quantile import ValueStore
from sim.engine.sink import CollectedOrders, OrderSink

WAREHOUSE_SERIES = (
    "backlog",
    "picking",
    "at_dock",
    "backordered",
    "stock_units",
    "pickers_on_shift",
)


__all__ = ["FinishedRun", "InvariantError", "Records", "Rows", "RunResult", "TimeSeries"]


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
        """Raise :class:`InvariantError` if orders, stock or costs do not add up (the records
        themselves were checked chunk by chunk as they were written)."""
        k = self.kpis
        if self.orders:
            check_statuses(self.orders["status"])
            check_cost_total(self.orders)
        if k["orders_created"] != k["orders_delivered"] + k["orders_open"] + k["orders_cancelled"]:
            raise InvariantError(f"KPI conservation broken: {k}")
        if min_stock < 0:
            raise InvariantError(f"stock went negative (minimum {min_stock} units)")
        stock = self.warehouse_series["stock_units"]
        if len(stock) and stock.min() < -1:  # -1 marks "stock not modelled"
            raise InvariantError("sampled stock went negative")


@dataclass(frozen=True)
class FinishedRun:
    """What the simulation hands over when it stops: the records and a few run facts."""

    world: World
    timeseries: TimeSeries
    seed: int
    warmup_h: float
    horizon_h: float
    end_h: float  # when outcomes are read: the cohort resolved, or the cool-down limit
    stopped_h: float  # when the simulation stopped (end_h or, with nothing left to act, before)
    min_stock: int  # lowest true stock of any product anywhere during the run
    counts: Mapping[str, int]  # events, replenishments, pickups skipped, storms, forecasts


@dataclass(frozen=True)
class Rows:
    """Orders ``[lo, hi)`` of a run's columns, with the hour their outcomes are read at."""

    world: World
    orders: OrderStream
    book: OrderBook
    promised_h: np.ndarray
    lo: int
    hi: int
    end_h: float
    ids: np.ndarray | None = None  # the rows' order ids (default: lo..hi-1, a run's own columns)


class Records:
    """Finished orders' records as the run hands them over (:meth:`add`): written to the sink,
    counted into the KPIs, the per-mode series and the cost totals; nothing kept per order."""

    def __init__(
        self,
        world: World,
        sink: OrderSink,
        time_h: np.ndarray,
        warmup_h: float,
        horizon_h: float,
        delivery_times: ValueStore | None = None,
    ) -> None:
        self.world, self.sink, self.horizon_h = world, sink, horizon_h
        self.kpi_sums = KpiSums(warmup_h, horizon_h, delivery_times)
        self.modes = ModeSeries(time_h, len(world.modes))
        self.cost_totals: dict[str, list[float]] = {}
        self.recorded = 0
        self.last_resolved_h = NAN  # latest delivery or cancellation of a cohort order
        self.last_delivered_h = NAN  # latest delivery of a recorded order
        self.warmup_h = warmup_h

    def add(self, rows: Rows, parked: np.ndarray | None = None) -> None:
        """Orders ``[lo, hi)``, final: every column as it will be when the run ends. Those where
        ``parked`` is set are in transit, settled but not yet delivered: counted into the
        per-mode series and the last delivery now, recorded later (:meth:`add_parked`)."""
        book, lo, hi = rows.book, rows.lo, rows.hi
        self.modes.add(book.mode[lo:hi], book.shipped_h[lo:hi], book.delivered_h[lo:hi])
        created = rows.orders.created_h[lo:hi]
        n = int(np.searchsorted(created, self.horizon_h))  # arrivals of the cool-down: no record
        delivered_h = book.delivered_h[lo : lo + n]
        if (~np.isnan(delivered_h)).any():
            self.last_delivered_h = float(np.fmax(self.last_delivered_h, np.nanmax(delivered_h)))
        self._record(rows, n, None if parked is None else ~parked)

    def add_parked(self, rows: Rows) -> None:
        """Parked orders, final now (their series and delivery were counted by :meth:`add`)."""
        created = rows.orders.created_h[rows.lo : rows.hi]
        self._record(rows, int(np.searchsorted(created, self.horizon_h)), None)

    def _record(self, rows: Rows, n: int, keep: np.ndarray | None) -> None:
        """Cost totals, KPIs and the sink for the first ``n`` rows (those ``keep`` says)."""
        book, lo, hi = rows.book, rows.lo, rows.hi
        for name, column in book.cost_columns(lo, hi).items():
            total = np.sum(column if keep is None else column[keep])
            self.cost_totals.setdefault(name, []).append(float(total))
        columns = order_columns(dataclasses.replace(rows, hi=lo + n))
        if keep is not None:
            columns = {k: v[keep[:n]] for k, v in columns.items()}
        check_statuses(columns["status"])
        check_cost_total(columns)
        self.kpi_sums.add(columns)
        cohort = columns["created_h"] >= self.warmup_h
        resolved = cohort & (columns["status"] != OPEN)
        if resolved.any():
            last = np.fmax(columns["delivered_h"], columns["cancelled_h"])[resolved].max()
            self.last_resolved_h = float(np.fmax(self.last_resolved_h, last))
        self.sink.write(columns)
        self.recorded += len(columns["order_id"])

    def result(self, run: FinishedRun, charged: CostLedger) -> RunResult:
        """The run's series, KPIs and facts once every order was added; invariants checked."""
        kpis = self.kpi_sums.kpis(run.world.mode_names)
        orders = self.sink.columns() if isinstance(self.sink, CollectedOrders) else {}
        resolved_h = self.last_resolved_h
        result = RunResult(
            orders,
            _warehouse_series(run),
            self.modes.columns(run.world.mode_names),
            kpis,
            meta={
                "seed": run.seed,
                "scenario": run.world.name,
                "horizon_h": run.horizon_h,
                "warmup_h": run.warmup_h,
                "end_h": run.end_h,
                "stopped_h": run.stopped_h,
                "cohort_resolved_h": run.horizon_h if np.isnan(resolved_h) else resolved_h,
                "orders_recorded": self.recorded,
                **run.counts,
            },
        )
        result.check_invariants(min_stock=run.min_stock)
        check_costs(charged, {k: np.asarray(v) for k, v in self.cost_totals.items()})
        return result


def check_statuses(status: np.ndarray) -> None:
    """Every record is delivered, open or cancelled (none lost between the three)."""
    counts = {s: int((status == s).sum()) for s in (DELIVERED, OPEN, CANCELLED)}
    if sum(counts.values()) != len(status):
        raise InvariantError(f"orders not accounted for: {len(status)} created, {counts}")


def _status(book: OrderBook, lo: int, hi: int, end_h: float) -> np.ndarray:
    """delivered / open / cancelled as of the end of the run (open: unresolved)."""
    stage = book.stage[lo:hi]
    delivered = (stage == Stage.IN_TRANSIT) & (book.delivered_h[lo:hi] <= end_h)
    status = np.full(hi - lo, OPEN, dtype=object)
    status[delivered] = DELIVERED
    status[stage == Stage.CANCELLED] = CANCELLED
    return status


def _experience(
    rows: Rows, status: np.ndarray, delivered_h: np.ndarray, promised_h: np.ndarray
) -> dict[str, np.ndarray]:
    """Promoter, detractor and return probabilities from lateness against the customer's own
    expectation. An order never served — cancelled, or still open when the run ended (the cohort
    had the whole cool-down to resolve) — is rated as a cancellation; one the customer cancelled
    at checkout is not rated (it left of its own accord, before the network did anything)."""
    world, lo, hi = rows.world, rows.lo, rows.hi
    o, book = rows.orders, rows.book
    delivered, never_served = status == DELIVERED, (status == CANCELLED) | (status == OPEN)
    expected_h = promised_h + o.expectation_extra_h[lo:hi]
    experience = ExperienceModel(world.customer)
    lateness_days = np.where(delivered, (delivered_h - expected_h) / 24.0, np.nan)
    # a claim opened before delivery (proactive contact) softens the perceived lateness
    contacted = delivered & (book.claim_h[lo:hi] < delivered_h)
    lateness_days[contacted] -= world.customer.claim_lateness_credit_days
    lateness_days = np.maximum(lateness_days, 0.0)
    promoter = experience.promoter_p(lateness_days)
    detractor = experience.detractor_p(lateness_days)
    promoter[never_served] = world.customer.cancelled_promoter_p
    detractor[never_served] = world.customer.cancelled_detractor_p
    by_customer = book.customer_cancelled[lo:hi]
    promoter[by_customer] = np.nan
    detractor[by_customer] = np.nan
    early_days = np.where(delivered, (expected_h - delivered_h) / 24.0, 0.0)
    return_p = np.where(
        delivered,
        experience.return_p(world.demand.product_return_p[o.product[lo:hi]], early_days),
        np.nan,
    )
    return {"promoter_p": promoter, "detractor_p": detractor, "return_p": return_p}


def order_columns(rows: Rows) -> dict[str, np.ndarray]:
    """One column per field of ``orders.parquet`` (README: Order columns) for orders
    ``[lo, hi)``, with their state when the run ended. Columns may be views of the run's own:
    a sink copies what it keeps."""
    world, book, o, lo, hi, end_h = rows.world, rows.book, rows.orders, rows.lo, rows.hi, rows.end_h
    promised_h = rows.promised_h[lo:hi]
    status = _status(book, lo, hi, end_h)
    delivered, open_ = status == DELIVERED, status == OPEN
    delivered_h = np.where(delivered, book.delivered_h[lo:hi], np.nan)
    experience = _experience(rows, status, delivered_h, promised_h)
    late_h = np.where(delivered, np.maximum(delivered_h - promised_h, 0.0), np.nan)
    late_h[open_] = np.maximum(end_h - promised_h[open_], 0.0)
    cost = (
        book.cost_pick_usd[lo:hi]
        + book.cost_transport_usd[lo:hi]
        + book.cost_exception_usd[lo:hi]
        + book.cost_monitoring_usd[lo:hi]
        + book.cost_unserved_usd[lo:hi]
    )
    return {
        "order_id": np.arange(lo, hi, dtype=np.int64) if rows.ids is None else rows.ids[lo:hi],
        "created_h": o.created_h[lo:hi],
        "region": np.asarray(world.regions, dtype=object)[o.region[lo:hi]],
        "product_class": np.asarray(world.product_classes, dtype=object)[o.product[lo:hi]],
        "channel": np.asarray(world.channels, dtype=object)[o.channel[lo:hi]],
        "burst": names([b.name for b in world.demand.bursts], o.burst[lo:hi]),
        "items": o.items[lo:hi],
        "value": o.value_usd[lo:hi],
        "margin": o.margin_usd[lo:hi],
        "vip": o.vip[lo:hi],
        "service_level": np.asarray(world.level_names, dtype=object)[o.service_level[lo:hi]],
        "urgent": o.urgent[lo:hi],
        "promised_h": promised_h,
        "warehouse": names(world.warehouse_names, book.warehouse[lo:hi]),
        "mode": names(world.mode_names, book.mode[lo:hi]),
        "zone": book.zone[lo:hi],
        "routed_h": book.routed_h[lo:hi],
        "queued_h": book.queued_h[lo:hi],
        "pick_wait_h": book.pick_start_h[lo:hi] - book.queued_h[lo:hi],
        "picked_h": book.picked_h[lo:hi],
        "shipped_h": book.shipped_h[lo:hi],
        "delivered_h": delivered_h,
        "cancelled_h": book.cancelled_h[lo:hi],
        "status": status,
        "late_h": late_h,
        "cost": cost,
        "cost_pick_usd": book.cost_pick_usd[lo:hi],
        "cost_transport_usd": book.cost_transport_usd[lo:hi],
        "cost_exception_usd": book.cost_exception_usd[lo:hi],
        "reroutes": book.reroutes[lo:hi],
        "backordered": book.backordered[lo:hi],
        "transferred": book.transferred[lo:hi],
        "expedited": book.expedited[lo:hi],
        "prioritised": book.prioritised[lo:hi],
        "lost": book.lost[lo:hi],
        "customer_cancelled": book.customer_cancelled[lo:hi],
        "cost_monitoring_usd": book.cost_monitoring_usd[lo:hi],
        "cost_unserved_usd": book.cost_unserved_usd[lo:hi],
        "co2e_kg": co2e_kg(
            world.emissions,
            ~np.isnan(book.shipped_h[lo:hi]),
            book.mode[lo:hi],
            o.region[lo:hi],
            book.warehouse[lo:hi],
            o.items[lo:hi],
            o.product[lo:hi],
            book.lost[lo:hi],
        ),
        "storm_delay_h": book.storm_delay_h[lo:hi],
        "released_h": book.released_h[lo:hi],
        "held": book.held[lo:hi],
        "alert_level": book.alert_level[lo:hi],
        "alert_mask": book.alert_mask[lo:hi],
        "alert_first_h": book.alert_first_h[lo:hi],
        "claim_h": book.claim_h[lo:hi],
        "lost_declared_h": book.lost_declared_h[lo:hi],
        "notified_h": book.notified_h[lo:hi],
        "notice_handled_h": book.notice_handled_h[lo:hi],
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


class ModeSeries:
    """Per mode and sample time: parcels shipped since the previous sample, and in transit;
    counted chunk by chunk (cumulative counts add up exactly)."""

    def __init__(self, time_h: np.ndarray, n_modes: int) -> None:
        self.time_h = time_h
        self._edges = np.append(time_h, np.inf)
        self._shipped = np.zeros((n_modes, len(self._edges)), dtype=np.int64)
        self._delivered = np.zeros((n_modes, len(time_h)), dtype=np.int64)

    def add(self, mode: np.ndarray, shipped_h: np.ndarray, delivered_h: np.ndarray) -> None:
        for m in range(len(self._shipped)):
            mine = (mode == m) & ~np.isnan(shipped_h)
            if mine.any():
                s, d = np.sort(shipped_h[mine]), np.sort(delivered_h[mine])
                self._shipped[m] += np.searchsorted(s, self._edges, side="right")
                self._delivered[m] += np.searchsorted(d, self.time_h, side="right")

    def columns(self, mode_names: tuple[str, ...]) -> dict[str, np.ndarray]:
        rows_t, rows_m, shipped, in_transit = [], [], [], []
        for m, name in enumerate(mode_names):
            cum_shipped, cum_delivered = self._shipped[m], self._delivered[m]
            rows_t.append(self.time_h)
            rows_m.append(np.full(len(self.time_h), name, dtype=object))
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
