"""Scenario builders: turn a scenario config into typed, frozen world objects."""

from scenarios.build import build
from scenarios.world import World

__all__ = ["World", "build"]
