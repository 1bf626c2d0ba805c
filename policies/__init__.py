"""Routing and monitoring policies: plug-ins behind the Protocols in :mod:`policies.protocols`."""

from policies.protocols import MonitoringPolicy, RoutingPolicy

__all__ = ["MonitoringPolicy", "RoutingPolicy"]
