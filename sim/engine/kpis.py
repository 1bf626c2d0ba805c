"""Run-level KPIs over the cohort: the orders created in [warm-up, horizon), read when the run
ended (every cohort order resolved — delivered or cancelled — or the cool-down limit reached;
those still open then are *unresolved*).

:data:`KPIS` is the registry: one entry per KPI, in ``kpis.json`` order, saying how it is computed
from the order columns and how it reads (label, unit, better direction, display format). The run
computes its KPIs from it (:func:`compute_kpis`) and the report describes them from it, so a KPI
is added in one place; :data:`SUMMARY` names those the ``ordertwin`` summary table shows. A
:class:`KpiFamily` is one entry for several keys, one per mode: ``mode_share_<mode>`` gives
``mode_share_air``, ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

DELIVERED, OPEN, CANCELLED = "delivered", "open", "cancelled"
ALERT_BITS = {"blue": 1, "yellow": 2, "red": 4}
NAN = float("nan")

Better = Literal["higher", "lower", "neither"]  # which way a KPI improves ("neither": a count)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else NAN


class Orders:
    """The orders a run's KPIs count, and the masks several KPIs share (each computed once)."""

    def __init__(self, columns: Mapping[str, np.ndarray], horizon_h: float = NAN) -> None:
        self.columns = columns
        self.horizon_h = horizon_h

    @classmethod
    def counted(
        cls, columns: Mapping[str, np.ndarray], warmup_h: float, horizon_h: float
    ) -> Orders:
        """The cohort: orders created in [``warmup_h``, ``horizon_h``)."""
        created = columns["created_h"]
        keep = (created >= warmup_h) & (created < horizon_h)
        return cls({k: v[keep] for k, v in columns.items()}, horizon_h)

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    @functools.cached_property
    def n(self) -> int:
        return len(self["created_h"])

    def per_order(self, column: str) -> float:
        return float(self[column].sum() / self.n) if self.n else NAN

    def share(self, mask: np.ndarray) -> float:
        return float(mask.mean()) if self.n else NAN

    def count(self, mask: np.ndarray) -> int:
        return int(mask.sum())

    @functools.cached_property
    def delivered(self) -> np.ndarray:
        return self["status"] == DELIVERED

    @functools.cached_property
    def cancelled(self) -> np.ndarray:
        return self["status"] == CANCELLED

    @functools.cached_property
    def customer_cancelled(self) -> np.ndarray:
        """Cancelled by the customer at checkout (the level's ``cancel_p``), not by the network."""
        return self["customer_cancelled"]

    @functools.cached_property
    def unresolved(self) -> np.ndarray:
        """Neither delivered nor cancelled when the run ended."""
        return self["status"] == OPEN

    @functools.cached_property
    def delivery_h(self) -> np.ndarray:
        """Delivery times from creation (held-back promotion orders too), delivered orders."""
        return self["delivered_h"][self.delivered] - self["created_h"][self.delivered]

    @functools.cached_property
    def due(self) -> np.ndarray:
        """Orders whose on-time outcome is known: delivered, or unresolved and already past the
        promise (late). Cancelled orders — by the network or by the customer — are not due: they
        count in ``cancel_rate`` (and ``customer_cancel_rate``), never in a late rate's
        denominator."""
        return self.delivered | (self.unresolved & (np.nan_to_num(self["late_h"]) > 0))

    @functools.cached_property
    def on_time(self) -> np.ndarray:
        return self.delivered & (self["delivered_h"] <= self["promised_h"])

    @functools.cached_property
    def rated(self) -> np.ndarray:
        """Orders with an NPS rating (open orders not yet past the expectation have none)."""
        return ~np.isnan(self["promoter_p"])

    def nps(self, among: np.ndarray) -> float:
        return 100.0 * (_mean(self["promoter_p"][among]) - _mean(self["detractor_p"][among]))

    @functools.cached_property
    def shipped(self) -> np.ndarray:
        """Handed to a carrier (delivered since, or still in transit)."""
        return ~np.isnan(self["shipped_h"])

    @functools.cached_property
    def co2e_known(self) -> np.ndarray:
        """Shipped orders whose CO2e the scenario's inputs determine (lane distance, mode
        factor and item weight all given)."""
        return self.shipped & ~np.isnan(self["co2e_kg"])

    @functools.cached_property
    def alerted(self) -> np.ndarray:
        return self["alert_level"] > 0

    @functools.cached_property
    def failed(self) -> np.ndarray:
        """Cancelled by the network, lost, or (still) late against the promise."""
        return (
            (self.cancelled & ~self.customer_cancelled)
            | self["lost"]
            | (np.nan_to_num(self["late_h"]) > 0)
        )

    @functools.cached_property
    def failed_h(self) -> np.ndarray:
        """When an order's failure became known: the earliest of its cancellation, its promise
        passing undelivered (late) and the carrier declaring its parcel lost (inf: no failure)."""
        known = np.where(self.cancelled, self["cancelled_h"], np.inf)
        known = np.where(
            np.nan_to_num(self["late_h"]) > 0, np.fmin(known, self["promised_h"]), known
        )
        declared = self["lost_declared_h"]
        return np.where(self["lost"], np.fmin(known, declared), known)

    @functools.cached_property
    def alerted_in_time(self) -> np.ndarray:
        """Failed orders first alerted strictly before their failure became known: the true
        positives (an alert raised once the failure is known tells nobody anything)."""
        return self.alerted & self.failed & (self["alert_first_h"] < self.failed_h)

    @functools.cached_property
    def alert_lead_h(self) -> np.ndarray:
        """How long before the failure the first alert came, orders alerted in time."""
        return (self.failed_h - self["alert_first_h"])[self.alerted_in_time]

    def alerts_at(self, bit: int) -> int:
        """Orders that raised an alert of this level (one bit of ``alert_mask``)."""
        return self.count((self["alert_mask"] & bit) > 0)


@dataclass(frozen=True)
class Kpi:
    """One KPI: its ``kpis.json`` key, how it is computed, and how it reads."""

    key: str
    label: str  # plain words; a unit in brackets: "cost per order (USD)"
    unit: str  # "USD", "h", "points", "pp" (a rate: differences in percentage points), ""
    better: Better
    fmt: str  # str.format spec for one value
    compute: Callable[[Orders], float]
    half_width: float | None = None  # default target 95% CI half-width (replication advice)
    headline: bool = False  # a column of the report's scorecard (what leadership reads first)


@dataclass(frozen=True)
class KpiFamily:
    """One entry for several KPIs, one per mode: ``<mode>`` in its key and label is the mode."""

    key: str  # "mode_share_<mode>"
    label: str  # "<mode> share"
    unit: str
    better: Better
    fmt: str
    compute: Callable[[Orders, str], float]

    PLACEHOLDER = "<mode>"

    def member(self, mode: str) -> Kpi:
        compute = self.compute
        return Kpi(
            self.key.replace(self.PLACEHOLDER, mode),
            self.label.replace(self.PLACEHOLDER, mode),
            self.unit,
            self.better,
            self.fmt,
            lambda o: compute(o, mode),
        )

    def mode_of(self, key: str) -> str | None:
        """The mode a key is the member for, or None if it is no member of this family."""
        prefix, _, suffix = self.key.partition(self.PLACEHOLDER)
        inside = key.removeprefix(prefix).removesuffix(suffix)
        return inside if key.startswith(prefix) and key.endswith(suffix) and inside else None


def _with_status(status: str) -> Callable[[Orders], float]:
    return lambda o: o.count(o["status"] == status)


def _alerts_at(bit: int) -> Callable[[Orders], float]:
    return lambda o: o.alerts_at(bit)


def _p90(values: np.ndarray) -> float:
    return float(np.percentile(values, 90)) if len(values) else NAN


def _on_time_rate(o: Orders) -> float:
    return float(o.on_time[o.due].mean()) if o.due.any() else NAN


def _late_rate(o: Orders) -> float:
    return float(1.0 - o.on_time[o.due].mean()) if o.due.any() else NAN


def _fill_rate(o: Orders) -> float:
    """Share served from the first warehouse tried: no re-route, back-order or cancellation."""
    return o.share((o["reroutes"] == 0) & ~o["backordered"] & ~o.cancelled)


def _pick_wait(o: Orders) -> float:
    return _mean(o["pick_wait_h"][~np.isnan(o["pick_wait_h"])])


def _mode_share(o: Orders, mode: str) -> float:
    return o.share(o["mode"] == mode)


def _precision(o: Orders) -> float:
    """Alerted orders that failed *after* the alert (alerts raised later count as false)."""
    return float(o.alerted_in_time.sum() / o.alerted.sum()) if o.alerted.any() else NAN


def _per_1000(o: Orders, count: float) -> float:
    return 1000.0 * count / o.n if o.n else NAN


def in_transit_first(o: Orders) -> int:
    """Orders first alerted while their parcel was with the carrier."""
    return o.count(o.alerted & (o["alert_first_h"] >= o["shipped_h"]))


def lost_found(o: Orders) -> np.ndarray:
    """Lost parcels alerted before the carrier declared them lost."""
    return o["lost"] & o.alerted & (o["alert_first_h"] < o["lost_declared_h"])


def _lost_recall(o: Orders) -> float:
    lost = o["lost"]
    return float(lost_found(o).sum() / lost.sum()) if lost.any() else NAN


def notify_response_h(o: Orders) -> np.ndarray:
    """Notification to the team -> handled (queue wait + handling), orders handled."""
    return (o["notice_handled_h"] - o["notified_h"])[~np.isnan(o["notice_handled_h"])]


def unhandled(o: Orders) -> int:
    """Orders notified to the team and not handled when the run ended (its queue then)."""
    return o.count(~np.isnan(o["notified_h"]) & np.isnan(o["notice_handled_h"]))


def _recall(o: Orders) -> float:
    return float(o.alerted_in_time.sum() / o.failed.sum()) if o.failed.any() else NAN


def _lead_time_median(o: Orders) -> float:
    return float(np.median(o.alert_lead_h)) if len(o.alert_lead_h) else NAN


# Kinds of KPI, each with its unit and usual format.


def _count(key: str, label: str, better: Better, compute: Callable[[Orders], float]) -> Kpi:
    return Kpi(key, label, "", better, "{:,.0f}", compute)


def _cost(
    key: str, label: str, column: str, half_width: float | None = None, headline: bool = False
) -> Kpi:
    """USD per counted order of a cost column."""
    return Kpi(
        key, label, "USD", "lower", "{:.2f}", lambda o: o.per_order(column), half_width, headline
    )


def _hours(
    key: str,
    label: str,
    compute: Callable[[Orders], float],
    fmt: str = "{:.1f}",
    half_width: float | None = None,
    headline: bool = False,
) -> Kpi:
    return Kpi(key, label, "h", "lower", fmt, compute, half_width, headline)


def _rate(
    key: str,
    label: str,
    better: Better,
    compute: Callable[[Orders], float],
    fmt: str = "{:.1%}",
    half_width: float | None = None,
    headline: bool = False,
) -> Kpi:
    """A share of orders, between 0 and 1; differences are spoken in percentage points."""
    return Kpi(key, label, "pp", better, fmt, compute, half_width, headline)


def _nps(
    key: str,
    label: str,
    among: Callable[[Orders], np.ndarray],
    half_width: float | None = None,
    headline: bool = False,
) -> Kpi:
    """100 x (mean promoter_p - mean detractor_p) over the rated orders ``among`` picks."""
    return Kpi(
        key,
        label,
        "points",
        "higher",
        "{:+.1f}",
        lambda o: o.nps(among(o)),
        half_width,
        headline,
    )


ALERT_KPIS: tuple[Kpi, ...] = (
    _count(
        "alerts_total",
        "alerts raised",
        "neither",
        lambda o: sum(o.alerts_at(bit) for bit in ALERT_BITS.values()),
    ),
    *(
        Kpi(f"alerts_{level}", f"alerts {level}", "", "neither", "{:.4g}", _alerts_at(bit))
        for level, bit in ALERT_BITS.items()
    ),
    _count("orders_alerted", "orders alerted", "neither", lambda o: o.count(o.alerted)),
    _count("orders_failed", "orders that went wrong", "lower", lambda o: o.count(o.failed)),
    _rate("alert_precision", "alert precision", "higher", _precision),
    _rate("alert_recall", "alert recall", "higher", _recall),
    Kpi(
        "alert_lead_time_median_h",
        "alert lead time, median (h)",
        "h",
        "higher",
        "{:.1f}",
        _lead_time_median,
    ),
)

TEAM_KPIS: tuple[Kpi, ...] = (
    Kpi(
        "alerts_per_1000_orders",
        "alerts per 1,000 orders",
        "",
        "neither",
        "{:.1f}",
        lambda o: _per_1000(o, sum(o.alerts_at(bit) for bit in ALERT_BITS.values())),
    ),
    _count(
        "orders_alerted_in_transit", "orders first alerted in transit", "neither", in_transit_first
    ),
    _rate(
        "lost_parcel_recall", "lost parcels alerted before declared lost", "higher", _lost_recall
    ),
    Kpi(
        "notifications_per_1000_orders",
        "team notifications per 1,000 orders",
        "",
        "neither",
        "{:.1f}",
        lambda o: _per_1000(o, o.count(~np.isnan(o["notified_h"]))),
    ),
    _hours(
        "notify_response_mean_h",
        "team response time, mean (h)",
        lambda o: _mean(notify_response_h(o)),
        "{:.2f}",
    ),
    _hours(
        "notify_response_p90_h",
        "team response time, p90 (h)",
        lambda o: _p90(notify_response_h(o)),
        "{:.2f}",
    ),
    _count("notifications_unhandled", "notifications still queued at the end", "lower", unhandled),
)

KPIS: tuple[Kpi | KpiFamily, ...] = (
    _count("orders_created", "orders created (cohort)", "neither", lambda o: o.n),
    _count("orders_delivered", "orders delivered", "higher", _with_status(DELIVERED)),
    _count("orders_open", "orders open at the end", "lower", _with_status(OPEN)),
    _count("orders_cancelled", "orders cancelled", "lower", _with_status(CANCELLED)),
    _count("orders_unresolved", "orders unresolved", "lower", lambda o: o.count(o.unresolved)),
    _cost("cost_per_order", "cost per order (USD)", "cost", half_width=0.05, headline=True),
    _cost("cost_pick_per_order", "pick cost per order (USD)", "cost_pick_usd"),
    _cost("cost_transport_per_order", "transport cost per order (USD)", "cost_transport_usd"),
    _cost("cost_exception_per_order", "exception cost per order (USD)", "cost_exception_usd"),
    _cost("monitoring_cost_per_order", "monitoring cost per order (USD)", "cost_monitoring_usd"),
    _cost("cost_unserved_per_order", "unserved cost per order (USD)", "cost_unserved_usd"),
    Kpi(
        "co2e_kg_per_order",
        "CO2e per shipped order (kg)",
        "kg",
        "lower",
        "{:.3f}",
        lambda o: _mean(o["co2e_kg"][o.co2e_known]),
        headline=True,  # money, service and emissions side by side on the scorecard
    ),
    _count(
        "co2e_unknown_orders",
        "shipped orders of unknown CO2e",
        "lower",
        lambda o: o.count(o.shipped & ~o.co2e_known),
    ),
    _hours(
        "delivery_time_mean_h",
        "delivery time, mean (h)",
        lambda o: _mean(o.delivery_h),
        half_width=0.5,
        headline=True,
    ),
    _hours("delivery_time_p90_h", "delivery time, p90 (h)", lambda o: _p90(o.delivery_h)),
    _rate("on_time_rate", "on-time rate", "higher", _on_time_rate, half_width=0.005, headline=True),
    _rate("late_rate", "late rate", "lower", _late_rate),
    _nps("nps", "NPS proxy", lambda o: o.rated, half_width=0.5, headline=True),
    _nps("nps_vip", "NPS proxy, VIP customers", lambda o: o["vip"] & o.rated),
    _rate("return_rate", "return rate", "lower", lambda o: _mean(o["return_p"][o.delivered])),
    _hours("pick_wait_mean_h", "pick queue wait, mean (h)", _pick_wait, "{:.2f}"),
    _rate("cancel_rate", "cancel rate", "lower", lambda o: o.share(o.cancelled), "{:.2%}"),
    _rate(
        "customer_cancel_rate",
        "cancelled by the customer",
        "neither",
        lambda o: o.share(o.customer_cancelled),
        "{:.2%}",
    ),
    _rate("reroute_rate", "re-route rate", "lower", lambda o: o.share(o["reroutes"] > 0), "{:.2%}"),
    _rate("fill_rate", "fill rate", "higher", _fill_rate, "{:.2%}"),
    _rate(
        "backorder_rate", "back-order rate", "lower", lambda o: o.share(o["backordered"]), "{:.2%}"
    ),
    _rate("lost_rate", "lost parcels", "lower", lambda o: o.share(o["lost"]), "{:.2%}"),
    _rate("held_rate", "held orders", "lower", lambda o: o.share(o["held"]), "{:.2%}"),
    _rate(
        "express_share",
        "express (urgent) share",
        "neither",
        lambda o: o.share(o["urgent"]),
    ),
    KpiFamily("mode_share_<mode>", "<mode> share", "pp", "neither", "{:.1%}", _mode_share),
    *ALERT_KPIS,
    *TEAM_KPIS,
)

# The short table ``ordertwin`` prints after a run, in this order (labels and formats: BY_KEY).
SUMMARY = (
    "orders_created",
    "orders_delivered",
    "orders_cancelled",
    "orders_unresolved",
    "on_time_rate",
    "delivery_time_mean_h",
    "delivery_time_p90_h",
    "cost_per_order",
    "nps",
    "return_rate",
)


def expand(mode_names: Sequence[str] = ()) -> Iterator[Kpi]:
    """Every KPI of a run, in ``kpis.json`` order, families expanded over the run's modes."""
    for entry in KPIS:
        if isinstance(entry, KpiFamily):
            yield from (entry.member(mode) for mode in mode_names)
        else:
            yield entry


# The plain entries by key (families not included: see :func:`kpi`).
BY_KEY: dict[str, Kpi] = {entry.key: entry for entry in KPIS if isinstance(entry, Kpi)}


def kpi(key: str) -> Kpi | None:
    """The registry entry of a key (a family's member too), or None for a key it does not know."""
    if key in BY_KEY:
        return BY_KEY[key]
    for family in (e for e in KPIS if isinstance(e, KpiFamily)):
        mode = family.mode_of(key)
        if mode is not None:
            return family.member(mode)
    return None


def mode_of(key: str) -> str | None:
    """The mode a per-mode KPI key names (``mode_share_air`` -> ``air``), or None for any other
    key: such a key exists only in a run whose scenario has that mode."""
    for family in (e for e in KPIS if isinstance(e, KpiFamily)):
        mode = family.mode_of(key)
        if mode is not None:
            return mode
    return None


def alert_quality(c: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Alerts scored against what really happened to each order (see :class:`Orders`).

    Precision: share of alerted orders that failed after their first alert. Recall: share of
    failed orders alerted before their failure became known. Lead time: how long before the
    failure the first alert came.
    """
    orders = Orders(c)
    return {k.key: k.compute(orders) for k in ALERT_KPIS}


def compute_kpis(
    columns: Mapping[str, np.ndarray],
    warmup_h: float,
    horizon_h: float,
    mode_names: tuple[str, ...] = (),
) -> dict[str, float]:
    """Flat KPI mapping over the cohort: orders created in [``warmup_h``, ``horizon_h``)."""
    orders = Orders.counted(columns, warmup_h, horizon_h)
    return {k.key: k.compute(orders) for k in expand(mode_names)}
