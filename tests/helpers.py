"""Compose configs and run the engine in-process, without the CLI."""

from __future__ import annotations

from pathlib import Path

from scenarios.build import build
from sim.config.compose import load_config, load_policies, load_world
from sim.engine import RunResult, run

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
compose_config = load_config
world_of = load_world


def run_config(*overrides: str) -> RunResult:
    """Compose, build and simulate one run as the CLI would, without writing files."""
    cfg = load_config(*overrides)
    routing, monitoring = load_policies(cfg)
    return run(
        build(cfg["scenario"]),
        routing,
        monitoring,
        seed=cfg["seed"],
        horizon_days=cfg["horizon_days"],
        warmup_days=cfg["warmup_days"],
        timeseries_interval_h=cfg["timeseries_interval_h"],
    )


def scenario_names() -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml"))
