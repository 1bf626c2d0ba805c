"""The two seams of the engine, re-exported from :mod:`sim.engine.contract` (their home).

A routing policy decides warehouse and mode for a batch of orders (an allocation wave) from a
:class:`~sim.engine.contract.RoutingView`; a monitoring policy looks at open orders every
``interval_h`` hours through a :class:`~sim.engine.contract.MonitorView` and may act through
:class:`~sim.engine.contract.EngineActions`. Neither sees hidden truth. A new policy is a class
that satisfies one of these Protocols, in its own module, plus a YAML file naming it as
``_target_``.
"""

from sim.engine.contract import MonitoringPolicy, RoutingPolicy

__all__ = ["MonitoringPolicy", "RoutingPolicy"]
