"""Storms and outages as they reach each site and lane: the one place the engine asks whether a
warehouse works, how fast it picks, whether a carrier collects, and how transit is disrupted.

Warehouses and carriers never read the storm timeline or the outage lists themselves, so a new
kind of disruption (or a changed rule for an existing one) is a change here only.
"""

from __future__ import annotations

import numpy as np

from scenarios.world import Mode, World
from sim.engine.weather import StormTimeline


class Availability:
    """Answers per site (warehouse) and lane (warehouse x mode, to a destination region)."""

    def __init__(self, world: World, storms: StormTimeline) -> None:
        self._storms = storms
        self._weather = world.weather
        self._outages = [w.outages for w in world.warehouses]
        self._region = [w.region for w in world.warehouses]
        self._slowdown_per_severity = world.weather.warehouse_slowdown
        self._storm_prone = [
            bool(np.any(storms.region == w.region)) and self._slowdown_per_severity > 0
            for w in world.warehouses
        ]

    # -- sites ---------------------------------------------------------------------------------
    def outage_end_h(self, warehouse: int, t_h: float) -> float | None:
        """End of the outage that has ``warehouse`` down at ``t_h``, or None if it is up."""
        for start, end in self._outages[warehouse]:
            if start <= t_h < end:
                return end
        return None

    def next_outage_start_h(self, warehouse: int, t_h: float) -> float:
        """When the next outage of ``warehouse`` after ``t_h`` starts (inf: none)."""
        return min((start for start, _ in self._outages[warehouse] if start > t_h), default=np.inf)

    def site_down(self, warehouse: int, t_h: float) -> bool:
        return self.outage_end_h(warehouse, t_h) is not None

    def picks_slowed(self, warehouse: int) -> bool:
        """Whether any storm ever slows picking here (so the per-pick question is worth asking)."""
        return self._storm_prone[warehouse]

    def pick_time_factor(self, warehouse: int, t_h: float) -> float:
        """Multiplier on a pick started at ``t_h``: 1 + slowdown x storm severity over the site."""
        severity = self._storms.severity_at(self._region[warehouse], t_h)
        return 1.0 + self._slowdown_per_severity * severity

    # -- lanes ---------------------------------------------------------------------------------
    def pickup_blocked(self, warehouse: int, mode: Mode, t_h: float) -> bool:
        """The carrier does not call: the site is down, or a storm over it stops the mode."""
        return self.site_down(warehouse, t_h) or (
            self._storms.severity_at(self._region[warehouse], t_h) >= mode.storm_stop_severity > 0
        )

    def transit_delay_h(
        self, regions: np.ndarray, mode: Mode, t0_h: float | np.ndarray, arrive_h: np.ndarray
    ) -> np.ndarray:
        """Per parcel shipped at ``t0_h`` to ``regions``, due at ``arrive_h``: extra hours from
        the worst storm met on the way. One delay model (:meth:`Weather.transit_delay_h`: the
        mode's delay for a typical storm, scaled by severity); a storm that stops the mode also
        keeps the parcel until it has passed — the later of the two, never their sum."""
        severity, storm_end = self._storms.worst_overlap(
            regions, np.broadcast_to(np.asarray(t0_h, dtype=float), np.shape(regions)), arrive_h
        )
        delay = self._weather.transit_delay_h(mode.storm_delay_h, severity)
        stopped = (severity >= mode.storm_stop_severity) & (mode.storm_stop_severity > 0)
        held = np.where(stopped, np.fmax(storm_end - arrive_h, 0.0), 0.0)
        return np.maximum(delay, held)
