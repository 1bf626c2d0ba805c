"""No monitoring: orders are left to run their course (the control for monitoring policies)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scenarios.checks import positive_or_never
from scenarios.world import World
from sim.engine.contract import EngineActions, MonitorView


@dataclass
class NoMonitoring:
    name: str = "none"
    interval_h: float = math.inf

    def __post_init__(self) -> None:
        positive_or_never("interval_h", self.interval_h)

    def start(self, world: World, seed: int) -> None:
        """Nothing to prepare."""

    def inspect(self, view: MonitorView, actions: EngineActions) -> None:
        """Never called: ``interval_h`` is infinite."""
