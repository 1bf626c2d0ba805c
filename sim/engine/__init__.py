"""The discrete-event engine: typed world in, columnar records out (no Hydra, pandas or plots)."""

from sim.engine.result import RunResult
from sim.engine.simulation import Simulation, run

__all__ = ["RunResult", "Simulation", "run"]
