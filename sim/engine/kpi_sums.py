"""The run's KPIs accumulated chunk by chunk, so no run holds every order's record to compute them.

Every KPI of the registry (:data:`sim.engine.kpis.KPIS`) is a count, a ratio of sums over the
cohort, or an order statistic. Counts and sums are added per chunk, using the registry's own masks
(:class:`sim.engine.kpis.Orders`); the order statistics keep just the values they rank: the
delivery time of each delivered cohort order, in a :class:`~sim.engine.quantile.ValueStore` (in
memory, or a scratch file the output layer gives: the p90 is then found exactly over a few passes
through it, :func:`~sim.engine.quantile.exact_percentile`), the alert lead times (alerted orders
only) and the team's response times (notified orders only), both few. Sums add chunk totals, so a
mean can differ from the whole-table one in the last bits, never more.

:func:`kpis` refuses a registry KPI it does not know, so a KPI added to the registry without its
sums here fails on the first run; a test compares both ways on whole runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from sim.engine.kpis import (
    ALERT_BITS,
    NAN,
    Orders,
    expand,
    in_transit_first,
    lost_found,
    notify_response_h,
    unhandled,
)
from sim.engine.quantile import InMemoryValues, ValueStore, exact_percentile

SUM_COLUMNS = (
    "cost",
    "cost_pick_usd",
    "cost_transport_usd",
    "cost_exception_usd",
    "cost_monitoring_usd",
    "cost_unserved_usd",
)


class KpiSums:
    """Counts, sums and the ranked values of the cohort's orders, added one chunk at a time."""

    def __init__(
        self, warmup_h: float, horizon_h: float, delivery_h: ValueStore | None = None
    ) -> None:
        self.warmup_h, self.horizon_h = warmup_h, horizon_h
        self.count: Counter[str] = Counter()
        self.sum: dict[str, float] = dict.fromkeys(SUM_COLUMNS, 0.0)
        self.sum.update(promoter=0.0, detractor=0.0, promoter_vip=0.0, detractor_vip=0.0)
        self.sum.update(return_p=0.0, pick_wait_h=0.0, delivery_h=0.0, co2e_kg=0.0)
        self.modes: Counter[str] = Counter()
        self._delivery_h = InMemoryValues() if delivery_h is None else delivery_h
        self._lead_h: list[np.ndarray] = []
        self._response_h: list[np.ndarray] = []  # notified orders only

    def add(self, columns: Mapping[str, np.ndarray]) -> None:
        """Count the cohort's orders of one chunk of records."""
        o = Orders.counted(columns, self.warmup_h, self.horizon_h)
        c = self.count
        c["n"] += o.n
        c["delivered"] += o.count(o.delivered)
        c["open"] += o.count(o.unresolved)
        c["cancelled"] += o.count(o.cancelled)
        c["customer_cancelled"] += o.count(o.customer_cancelled)
        c["due"] += o.count(o.due)
        c["on_time_due"] += o.count(o.on_time[o.due])
        c["rated"] += o.count(o.rated)
        vip_rated = o["vip"] & o.rated
        c["vip_rated"] += o.count(vip_rated)
        c["rerouted"] += o.count(o["reroutes"] > 0)
        c["backordered"] += o.count(o["backordered"])
        c["filled"] += o.count((o["reroutes"] == 0) & ~o["backordered"] & ~o.cancelled)
        c["lost"] += o.count(o["lost"])
        c["held"] += o.count(o["held"])
        c["express"] += o.count(o["urgent"])
        waited = ~np.isnan(o["pick_wait_h"])
        c["pick_waited"] += o.count(waited)
        c["co2e_known"] += o.count(o.co2e_known)
        c["co2e_unknown"] += o.count(o.shipped & ~o.co2e_known)
        self.sum["co2e_kg"] += float(o["co2e_kg"][o.co2e_known].sum())
        for name in SUM_COLUMNS:
            self.sum[name] += float(o[name].sum())
        self.sum["promoter"] += float(o["promoter_p"][o.rated].sum())
        self.sum["detractor"] += float(o["detractor_p"][o.rated].sum())
        self.sum["promoter_vip"] += float(o["promoter_p"][vip_rated].sum())
        self.sum["detractor_vip"] += float(o["detractor_p"][vip_rated].sum())
        self.sum["return_p"] += float(o["return_p"][o.delivered].sum())
        self.sum["pick_wait_h"] += float(o["pick_wait_h"][waited].sum())
        modes, counts = np.unique(o["mode"], return_counts=True)
        self.modes.update(dict(zip(modes.tolist(), counts.tolist(), strict=True)))
        for level, bit in ALERT_BITS.items():
            c[f"alerts_{level}"] += o.alerts_at(bit)
        c["alerted"] += o.count(o.alerted)
        c["failed"] += o.count(o.failed)
        c["alerted_in_time"] += o.count(o.alerted_in_time)
        c["alerted_in_transit"] += in_transit_first(o)
        c["lost_found"] += o.count(lost_found(o))
        c["notified"] += o.count(~np.isnan(o["notified_h"]))
        c["unhandled"] += unhandled(o)
        self.sum["delivery_h"] += float(o.delivery_h.sum())
        if len(o.delivery_h):
            self._delivery_h.append(o.delivery_h)
        self._lead_h.append(o.alert_lead_h.copy())
        self._response_h.append(notify_response_h(o).copy())

    def kpis(self, mode_names: tuple[str, ...] = ()) -> dict[str, float]:
        """Every registry KPI over the cohort counted, in ``kpis.json`` order."""
        c, s, n = self.count, self.sum, self.count["n"]
        lead = np.concatenate([np.zeros(0), *self._lead_h])
        response = np.concatenate([np.zeros(0), *self._response_h])

        def ratio(num: float, den: float) -> float:
            return float(num / den) if den else NAN

        def per_order(column: str) -> float:
            return ratio(s[column], n)

        on_time = ratio(c["on_time_due"], c["due"])
        values: dict[str, float] = {
            "orders_created": n,
            "orders_delivered": c["delivered"],
            "orders_open": c["open"],
            "orders_cancelled": c["cancelled"],
            "orders_unresolved": c["open"],
            "cost_per_order": per_order("cost"),
            "cost_pick_per_order": per_order("cost_pick_usd"),
            "cost_transport_per_order": per_order("cost_transport_usd"),
            "cost_exception_per_order": per_order("cost_exception_usd"),
            "monitoring_cost_per_order": per_order("cost_monitoring_usd"),
            "cost_unserved_per_order": per_order("cost_unserved_usd"),
            "co2e_kg_per_order": ratio(s["co2e_kg"], c["co2e_known"]),
            "co2e_unknown_orders": c["co2e_unknown"],
            "delivery_time_mean_h": ratio(s["delivery_h"], c["delivered"]),
            "delivery_time_p90_h": exact_percentile(self._delivery_h, 90),
            "on_time_rate": on_time,
            "late_rate": 1.0 - on_time,
            "nps": 100.0 * (ratio(s["promoter"], c["rated"]) - ratio(s["detractor"], c["rated"])),
            "nps_vip": 100.0
            * (
                ratio(s["promoter_vip"], c["vip_rated"]) - ratio(s["detractor_vip"], c["vip_rated"])
            ),
            "return_rate": ratio(s["return_p"], c["delivered"]),
            "pick_wait_mean_h": ratio(s["pick_wait_h"], c["pick_waited"]),
            "cancel_rate": ratio(c["cancelled"], n),
            "customer_cancel_rate": ratio(c["customer_cancelled"], n),
            "reroute_rate": ratio(c["rerouted"], n),
            "backorder_rate": ratio(c["backordered"], n),
            "fill_rate": ratio(c["filled"], n),
            "lost_rate": ratio(c["lost"], n),
            "held_rate": ratio(c["held"], n),
            "express_share": ratio(c["express"], n),
            **{f"mode_share_{m}": ratio(self.modes[m], n) for m in mode_names},
            "alerts_total": sum(c[f"alerts_{level}"] for level in ALERT_BITS),
            **{f"alerts_{level}": c[f"alerts_{level}"] for level in ALERT_BITS},
            "orders_alerted": c["alerted"],
            "orders_failed": c["failed"],
            "alert_precision": ratio(c["alerted_in_time"], c["alerted"]),
            "alert_recall": ratio(c["alerted_in_time"], c["failed"]),
            "alert_lead_time_median_h": float(np.median(lead)) if len(lead) else NAN,
            "alerts_per_1000_orders": 1000.0
            * ratio(sum(c[f"alerts_{level}"] for level in ALERT_BITS), n),
            "orders_alerted_in_transit": c["alerted_in_transit"],
            "lost_parcel_recall": ratio(c["lost_found"], c["lost"]),
            "notifications_per_1000_orders": 1000.0 * ratio(c["notified"], n),
            "notify_response_mean_h": float(np.mean(response)) if len(response) else NAN,
            "notify_response_p90_h": float(np.percentile(response, 90)) if len(response) else NAN,
            "notifications_unhandled": c["unhandled"],
        }
        keys = [k.key for k in expand(mode_names)]
        unknown = [k for k in keys if k not in values]
        if unknown:
            raise KeyError(f"KPIs without streamed sums (sim/engine/kpi_sums.py): {unknown}")
        return {k: values[k] for k in keys}
