"""ordertwin: an order-fulfilment digital twin (SimPy) for comparing routing and monitoring
policies on cost, delivery time and customer experience.

``sim.run``, ``sim.Simulation`` and ``sim.RunResult`` are loaded on first use, so importing a
light part (``sim.config``, ``sim.engine.contract``) does not load the whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # names only: the import itself is deferred to first use (__getattr__)
    from sim.engine import RunResult, Simulation, run

__all__ = ["RunResult", "Simulation", "run"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        import sim.engine

        return getattr(sim.engine, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
