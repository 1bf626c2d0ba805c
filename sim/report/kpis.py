"""How the report words each KPI: its label, whether a change is better, values and differences in
its unit. What each KPI is comes from the registry (:data:`sim.engine.kpis.KPIS`).

A KPI the registry does not know (a sweep's own, or an older run's) is still tabulated, under its
key, with no direction: it is described but never called better or worse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sim.engine import kpis as registry
from sim.engine.kpis import Better

DIRECTION: dict[Better, bool | None] = {"higher": True, "lower": False, "neither": None}


@dataclass(frozen=True)
class KpiInfo:
    key: str
    label: str
    higher_is_better: bool | None  # None: neither (a count, a share)
    fmt: str  # str.format spec for one value
    unit: str = ""  # spoken unit for differences: "USD", "points", "h", "pp", "kg"

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
        suffix = {"USD": " USD", "h": " h", "kg": " kg"}.get(self.unit, "")
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
        return f"{v:.3g} {self.unit}" if self.unit else f"{v:.3g}"  # a unit added later: "kg"

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
    "co2e_kg_per_order",  # money, service and emissions side by side (issue 15)
)


def scorecard_kpis(keys: Iterable[str]) -> list[str]:
    """Those of ``keys`` the registry marks headline, in the order given: the scorecard's columns.

    A KPI joins the scorecard by its registry entry alone (``headline=True``), no report code.
    """
    return [k for k in keys if (entry := registry.kpi(k)) is not None and entry.headline]


def info(key: str) -> KpiInfo:
    """The registry's entry as the report words it, or a neutral one for a key it does not know."""
    entry = registry.kpi(key)
    if entry is None:
        return KpiInfo(key, key.replace("_", " "), None, "{:.4g}")
    return KpiInfo(entry.key, entry.label, DIRECTION[entry.better], entry.fmt, entry.unit)


def _half_widths() -> dict[str, float]:
    """The registry's target half-widths, in headline order."""
    entries = ((k, registry.kpi(k)) for k in HEADLINE)
    return {k: e.half_width for k, e in entries if e is not None and e.half_width is not None}


# Default target half-widths of the 95% CI, for the replication advice.
DEFAULT_HALF_WIDTHS = _half_widths()
