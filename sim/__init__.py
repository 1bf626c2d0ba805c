"""ordertwin: an order-fulfilment digital twin (SimPy) for comparing routing and monitoring
policies on cost, delivery time and customer experience."""

from sim.engine import RunResult, Simulation, run

__all__ = ["RunResult", "Simulation", "run"]
__version__ = "0.1.0"
