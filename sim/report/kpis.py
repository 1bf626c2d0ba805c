"""What the report knows about each KPI: a plain label, which direction is better, how to print it.

KPIs the catalogue does not know (a policy may add its own) are still tabulated, under their key,
with no direction: they are described but never called better or worse.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KpiInfo:
    key: str
    label: str
    higher_is_better: bool | None  # None: neither (a count, a share)
    fmt: str  # str.format spec for one value
    unit: str = ""  # spoken unit for differences: "USD", "points", "h", "pp"

    @property
    def name(self) -> str:
        """The label without its unit, for sentences that state the unit with the number."""
        return self.label.split(" (")[0]

    def show(self, value: float) -> str:
        if value != value:  # NaN
            return "n/a"
        return self.fmt.format(value)

    def spoken(self, value: float) -> str:
        """A value with its unit, for sentences: ``14.44 USD``, ``96.0%``, ``+45.3``."""
        suffix = {"USD": " USD", "h": " h"}.get(self.unit, "")
        return self.show(value) + (suffix if value == value else "")

    def amount(self, value: float) -> str:
        """A magnitude in the spoken unit: ``0.42 USD``, ``1.3 points``, ``2.1 pp``."""
        v = abs(value)
        if self.unit == "pp":
            return f"{100 * v:.1f} pp"
        if self.unit == "USD":
            return f"{v:.2f} USD"
        if self.unit in ("points", "h"):
            return f"{v:.1f} {self.unit}"
        return f"{v:.3g}"

    def show_delta(self, value: float) -> str:
        """A difference in plain units: +0.42 USD, -1.3 points, +2.1 pp."""
        if value != value:
            return "n/a"
        shown = self.amount(value)
        negative = value < 0 and any(c in "123456789" for c in shown)  # no "-0.0"
        return ("-" if negative else "+") + shown

    def better(self, delta: float) -> bool | None:
        """Whether a positive-or-negative change is an improvement (None: no direction)."""
        if self.higher_is_better is None or delta == 0 or delta != delta:
            return None
        return (delta > 0) == self.higher_is_better


def _kpi(key: str, label: str, higher: bool | None, fmt: str, unit: str = "") -> KpiInfo:
    return KpiInfo(key, label, higher, fmt, unit)


CATALOGUE: dict[str, KpiInfo] = {
    k.key: k
    for k in (
        _kpi("cost_per_order", "cost per order (USD)", False, "{:.2f}", "USD"),
        _kpi("nps", "NPS proxy", True, "{:+.1f}", "points"),
        _kpi("on_time_rate", "on-time rate", True, "{:.1%}", "pp"),
        _kpi("late_rate", "late rate", False, "{:.1%}", "pp"),
        _kpi("delivery_time_mean_h", "delivery time, mean (h)", False, "{:.1f}", "h"),
        _kpi("delivery_time_p90_h", "delivery time, p90 (h)", False, "{:.1f}", "h"),
        _kpi("return_rate", "return rate", False, "{:.1%}", "pp"),
        _kpi("cost_pick_per_order", "pick cost per order (USD)", False, "{:.2f}", "USD"),
        _kpi("cost_transport_per_order", "transport cost per order (USD)", False, "{:.2f}", "USD"),
        _kpi("cost_exception_per_order", "exception cost per order (USD)", False, "{:.2f}", "USD"),
        _kpi(
            "monitoring_cost_per_order", "monitoring cost per order (USD)", False, "{:.2f}", "USD"
        ),
        _kpi("nps_vip", "NPS proxy, VIP customers", True, "{:+.1f}", "points"),
        _kpi("pick_wait_mean_h", "pick queue wait, mean (h)", False, "{:.2f}", "h"),
        _kpi("cancel_rate", "cancel rate", False, "{:.2%}", "pp"),
        _kpi("reroute_rate", "re-route rate", False, "{:.2%}", "pp"),
        _kpi("backorder_rate", "back-order rate", False, "{:.2%}", "pp"),
        _kpi("lost_rate", "lost parcels", False, "{:.2%}", "pp"),
        _kpi("held_rate", "held orders", False, "{:.2%}", "pp"),
        _kpi("orders_created", "orders created", None, "{:,.0f}"),
        _kpi("orders_delivered", "orders delivered", True, "{:,.0f}"),
        _kpi("orders_open", "orders open at horizon", False, "{:,.0f}"),
        _kpi("orders_cancelled", "orders cancelled", False, "{:,.0f}"),
        _kpi("orders_failed", "orders that went wrong", False, "{:,.0f}"),
        _kpi("orders_alerted", "orders alerted", None, "{:,.0f}"),
        _kpi("alerts_total", "alerts raised", None, "{:,.0f}"),
        _kpi("alert_precision", "alert precision", True, "{:.1%}", "pp"),
        _kpi("alert_recall", "alert recall", True, "{:.1%}", "pp"),
        _kpi("alert_lead_time_median_h", "alert lead time, median (h)", True, "{:.1f}", "h"),
        _kpi("express_share", "express share", None, "{:.1%}", "pp"),
    )
}

# What leadership reads first, in this order (those a sweep has).
HEADLINE = (
    "cost_per_order",
    "nps",
    "on_time_rate",
    "delivery_time_mean_h",
    "delivery_time_p90_h",
    "return_rate",
    "alert_precision",
    "alert_recall",
)

# Default target half-widths of the 95% CI, for the replication advice.
DEFAULT_HALF_WIDTHS = {
    "cost_per_order": 0.05,
    "nps": 0.5,
    "on_time_rate": 0.005,
    "delivery_time_mean_h": 0.5,
}


def info(key: str) -> KpiInfo:
    """Catalogue entry, or a neutral one for a KPI the report does not know."""
    known = CATALOGUE.get(key)
    if known is not None:
        return known
    if key.startswith("mode_share_"):
        return KpiInfo(key, f"{key.removeprefix('mode_share_')} share", None, "{:.1%}", "pp")
    return KpiInfo(key, key.replace("_", " "), None, "{:.4g}")
