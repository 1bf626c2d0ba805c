"""Compose configs and run the engine in-process, without the CLI."""

from __future__ import annotations

from pathlib import Path

from sim.config.compose import load_config, load_world
from sim.engine import RunResult
from sim.runner import run_overrides

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
compose_config = load_config
world_of = load_world


def run_config(*overrides: str) -> RunResult:
    """Compose, build and simulate one run as the CLI would, without writing files."""
    return run_overrides(*overrides)


def scenario_names() -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml"))
