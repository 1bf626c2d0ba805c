"""The seam between the engine and the policies: everything a policy may see, do and be.

A routing policy decides warehouse and mode for a batch of orders (an allocation wave) from a
:class:`RoutingView`; a monitoring policy looks at open orders every ``interval_h`` hours through
a :class:`MonitorView` and may act through :class:`EngineActions`. Views hand out read-only
arrays of *observable* state only — stock as of the last sync, backlogs, carrier load, issued
weather forecasts, public order attributes — never true stock, true weather or the customer's
own expectation, and never the simulation itself. Policies import from this module only.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from scenarios.world import World


class Stage:
    """Where an order is in its life cycle (``IN_TRANSIT`` ends at ``delivered_h``).

    Plain int constants, not an Enum: they are read on the per-order path, where Enum attribute
    lookup costs more than the rest of the bookkeeping.
    """

    NOT_ARRIVED = 0
    WAITING_ROUTE = 1  # arrived, waiting for the allocation wave (or a re-route)
    BACKORDERED = 2
    QUEUED = 3  # stock reserved, waiting for a picker
    PICKING = 4
    PACKED = 5  # at the dock, waiting for the carrier pickup
    IN_TRANSIT = 6
    CANCELLED = 7


ALERT_LEVELS = {"blue": 1, "yellow": 2, "red": 3}


def public_world(world: World) -> World:
    """The network as a policy may know it: without the scenario's scripted storms (those are
    future weather truth; policies learn of storms through forecasts), every array a read-only
    copy."""
    known = dataclasses.replace(world, weather=dataclasses.replace(world.weather, scripted=()))
    return typing.cast(World, _sealed(known))


def read_only(a: np.ndarray) -> np.ndarray:
    """A read-only copy (a copy, so no writeable base array is reachable through it)."""
    return frozen(np.array(a, copy=True))


def frozen(a: np.ndarray) -> np.ndarray:
    """Freeze a freshly computed array in place (nothing else holds it)."""
    a.setflags(write=False)
    return a


def _sealed(value: Any) -> Any:
    """``value`` with every numpy array inside it (through dataclasses, tuples, lists and
    dicts) replaced by a read-only copy."""
    if isinstance(value, np.ndarray):
        return read_only(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _sealed(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple | list):
        return type(value)(_sealed(v) for v in value)
    if isinstance(value, dict):
        return {k: _sealed(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class OrderBatch:
    """Orders to route together (one allocation wave), public attributes only."""

    order_id: np.ndarray
    created_h: np.ndarray
    promised_h: np.ndarray
    region: np.ndarray
    product: np.ndarray
    items: np.ndarray
    value_usd: np.ndarray
    margin_usd: np.ndarray
    channel: np.ndarray
    service_level: np.ndarray  # index into world.service_levels (the table's order)
    urgent: np.ndarray  # the level is urgent: what a policy treats as express
    vip: np.ndarray
    signal: np.ndarray  # behaviour signal in (0, 1): higher = more relaxed customer
    excluded: np.ndarray  # [order, warehouse] True where the order already failed for stock

    def __len__(self) -> int:
        return len(self.order_id)


@dataclass(frozen=True)
class RoutingDecision:
    """Per order of the batch: warehouse index, mode index, and optionally pick priority."""

    warehouse: np.ndarray
    mode: np.ndarray
    priority: np.ndarray | None = None  # True: to the front of the pick queue


@dataclass(frozen=True)
class OpenOrders:
    """Orders not yet delivered or cancelled, as the order-management system knows them."""

    order_id: np.ndarray
    stage: np.ndarray  # Stage values
    created_h: np.ndarray
    promised_h: np.ndarray
    region: np.ndarray
    warehouse: np.ndarray
    mode: np.ndarray
    value_usd: np.ndarray
    vip: np.ndarray
    service_level: np.ndarray
    urgent: np.ndarray
    queued_h: np.ndarray
    picked_h: np.ndarray
    shipped_h: np.ndarray
    last_scan_h: np.ndarray  # NaN until shipped
    alert_level: np.ndarray  # highest level raised so far (0 none, 1 blue, 2 yellow, 3 red)
    claim_open: np.ndarray


class RoutingView(Protocol):
    """Observable network state at decision time (every array read-only)."""

    world: World  # the network, without scripted storms
    zone: np.ndarray  # [region, warehouse], 0 = not served
    price_usd: np.ndarray  # [mode, zone]
    transit_mean_h: np.ndarray  # [mode, zone]
    default_mode: np.ndarray  # by service level
    pick_time_mean_h: np.ndarray  # by warehouse
    rng: np.random.Generator  # the run's "policy" stream, for randomised policies

    @property
    def now_h(self) -> float: ...

    @property
    def stock_synced_h(self) -> float: ...

    def visible_stock(self) -> np.ndarray:
        """Units by [warehouse, product class] as of the last stock sync."""
        ...

    def allocated_since_sync(self) -> np.ndarray:
        """Units the order-management system itself sent to [warehouse, product] since the sync:
        its own bookkeeping, so visible stock minus this is its best estimate of what is left."""
        ...

    def backlog(self) -> np.ndarray:
        """Orders waiting for a picker, by warehouse."""
        ...

    def pickers_on_shift(self) -> np.ndarray: ...

    def carrier_load(self) -> np.ndarray:
        """Share of today's capacity used, by [warehouse, mode]."""
        ...

    def storm_forecast(self) -> np.ndarray:
        """By region: a storm is forecast (issued and not yet over)."""
        ...

    def storm_window(self) -> tuple[np.ndarray, np.ndarray]:
        """By region: predicted (start, end) hour of the next forecast storm, inf if none."""
        ...


class MonitorView(RoutingView, Protocol):
    """Routing's view plus the open orders and their tracking."""

    def open_orders(self) -> OpenOrders: ...

    def promotions(self) -> dict[str, tuple[bool, float]]:
        """By burst name: (running now per the plan, paused until hour or NaN)."""
        ...


class EngineActions(Protocol):
    """The few things a monitoring policy may do. Each is a request: requests take effect in the
    order made as soon as ``inspect`` returns, at the same simulated hour."""

    def alert(self, order_ids: np.ndarray, level: str) -> None:
        """Record an alert (once per order and level), for the alert-quality KPIs."""

    def prioritise(self, order_ids: np.ndarray) -> None:
        """Move queued orders to the front of their warehouse's pick queue."""

    def expedite(self, order_ids: np.ndarray, mode: str) -> None:
        """Switch unshipped orders to another mode (its price is paid at pickup)."""

    def reallocate(self, order_ids: np.ndarray, warehouse: str) -> None:
        """Transfer orders not yet picked to another warehouse, if its stock allows."""

    def transfer(self, order_ids: np.ndarray) -> None:
        """Move orders not yet picked to their backup warehouse: the least-loaded other warehouse
        serving the region (at most two zones further) that shows stock and has less work queued
        per picker than theirs. Orders without such a backup stay."""

    def notify(
        self,
        order_ids: np.ndarray,
        then: str,
        handling_h: float,
        backup_warehouse: str | None = None,
    ) -> None:
        """Hand orders to the human team (the policy's ``team_size`` people): after
        ``handling_h`` of a free person's time, ``then`` happens: ``prioritise``, ``expedite``
        (to the fastest mode) or ``transfer`` (to ``backup_warehouse`` if given, else as
        :meth:`transfer`). Staff time is charged to the orders."""

    def open_claim(self, order_ids: np.ndarray) -> None:
        """Open a claims pre-review on shipped orders: contact the customer, and if the parcel is
        really lost, ship the replacement now instead of after the carrier notices."""

    def pause_promotion(self, name: str, hours: float) -> None:
        """Hold back a promotion's burst orders for ``hours``; they enter when it resumes."""


@runtime_checkable
class RoutingPolicy(Protocol):
    name: str

    def start(self, world: World, seed: int) -> None:
        """Called once before the run (``seed`` is the run's): precompute what depends only on
        the network, refuse seeds the policy was trained on."""

    def route(self, orders: OrderBatch, view: RoutingView) -> RoutingDecision:
        """Choose a warehouse serving each order's region, and a mode, for every order."""
        ...


@runtime_checkable
class MonitoringPolicy(Protocol):
    name: str
    interval_h: float  # how often to inspect; math.inf: never

    def start(self, world: World, seed: int) -> None:
        """Called once before the run."""

    def inspect(self, view: MonitorView, actions: EngineActions) -> None:
        """Look at the open orders and act on those at risk."""
        ...


@runtime_checkable
class LearnedPolicy(Protocol):
    """A policy that uses a trained model: the config layer loads ``model_path`` or trains one
    for ``model_request()`` (training seeds, days) before the run and hands it over."""

    model_path: str | None

    def model_request(self) -> tuple[tuple[int, ...], float]: ...

    def use_model(self, model: Any) -> None: ...


@runtime_checkable
class CompositePolicy(Protocol):
    """A policy made of other policies (e.g. a regional pilot): the config layer builds each
    part from the config ``parts()`` returns and hands them over with ``attach``."""

    def parts(self) -> Mapping[str, Mapping[str, Any]]: ...

    def attach(self, built: Mapping[str, Any]) -> None: ...

    def attached(self) -> Mapping[str, Any]: ...
