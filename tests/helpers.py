"""Compose configs and run the engine in-process, without the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from sim.config.compose import load_config, load_world
from sim.config.store import register_configs
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


def plain_config(*overrides: str) -> dict[str, Any]:
    """The composed run config as plain data, for in-process validation tests."""
    register_configs()
    with initialize_config_module(version_base="1.3", config_module="sim.conf"):
        cfg = compose(config_name="config", overrides=list(overrides))
    plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(plain, dict)
    return {str(k): v for k, v in plain.items()}
