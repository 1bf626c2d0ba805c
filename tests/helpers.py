"""Compose configs and run the engine in-process, without the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from policies.protocols import MonitoringPolicy, RoutingPolicy
from scenarios.build import build
from scenarios.world import World
from sim.config.policy import build_policy
from sim.config.store import register_configs
from sim.config.validate import validate
from sim.engine import RunResult, run

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
register_configs()


def compose_config(*overrides: str) -> dict[str, Any]:
    """The composed, validated run config as plain data."""
    with initialize_config_module("sim.conf", version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    plain = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(plain, dict)
    validate(plain)
    return plain


def world_of(*overrides: str) -> World:
    return build(compose_config(*overrides)["scenario"])


def run_config(*overrides: str) -> RunResult:
    """Compose, build and simulate one run as the CLI would, without writing files."""
    cfg = compose_config(*overrides)
    return run(
        build(cfg["scenario"]),
        build_policy(cfg["routing"], "routing", RoutingPolicy),
        build_policy(cfg["monitoring"], "monitoring", MonitoringPolicy),
        seed=cfg["seed"],
        horizon_days=cfg["horizon_days"],
        warmup_days=cfg["warmup_days"],
        timeseries_interval_h=cfg["timeseries_interval_h"],
    )


def scenario_names() -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml"))
