"""The discrete-event engine: typed world in, columnar records out (no Hydra, pandas or plots).

``run``, ``Simulation`` and ``RunResult`` load on first use, so a policy importing only the seam
(:mod:`sim.engine.contract`) does not load SimPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # names only: the import itself is deferred to first use (__getattr__)
    from sim.engine.result import RunResult
    from sim.engine.simulation import Simulation, run

__all__ = ["RunResult", "Simulation", "run"]
_HOME = {
    "RunResult": "sim.engine.result",
    "Simulation": "sim.engine.simulation",
    "run": "sim.engine.simulation",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'sim.engine' has no attribute {name!r}")
