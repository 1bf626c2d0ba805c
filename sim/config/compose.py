"""Compose the packaged config from Python (tests, benchmarks, notebooks) without the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from policies.protocols import MonitoringPolicy, RoutingPolicy
from scenarios.build import build
from scenarios.schema import ScenarioConf
from scenarios.world import World
from sim.config.models import provide_models
from sim.config.policy import build_policy
from sim.config.store import register_configs
from sim.config.validate import validate


def load_config(*overrides: str) -> dict[str, Any]:
    """The composed and validated run config as plain data, e.g. ``load_config("scenario=mmc")``."""
    register_configs()
    with initialize_config_module("sim.conf", version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    plain = {str(k): v for k, v in container.items()}
    validate(plain)
    return plain


def load_scenario(name_or_path: str) -> dict[str, Any]:
    """A packaged scenario by name (``baseline``), or a scenario YAML file, as plain data.

    A YAML file is merged over the schema's defaults but not validated: calibration uses it as a
    template and validates what it makes of it.
    """
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        merged = OmegaConf.merge(OmegaConf.structured(ScenarioConf), OmegaConf.load(path))
        plain = OmegaConf.to_container(merged, resolve=True)
    else:
        plain = load_config(f"scenario={name_or_path}")["scenario"]
    assert isinstance(plain, dict)
    return {str(k): v for k, v in plain.items()}


def packaged_conf_dir() -> Path:
    """The folder Hydra loads ``pkg://sim.conf`` from (``conf/`` in an editable install)."""
    import sim.conf

    return Path(sim.conf.__file__).resolve().parent


def load_world(*overrides: str) -> World:
    return build(load_config(*overrides)["scenario"])


def load_policies(
    cfg: dict[str, Any], world: World | None = None
) -> tuple[RoutingPolicy, MonitoringPolicy]:
    """Both policies of a composed config, learned ones with their models (loaded or trained
    for ``world``, by default the config's scenario)."""
    routing = build_policy(cfg["routing"], "routing", RoutingPolicy)
    monitoring = build_policy(cfg["monitoring"], "monitoring", MonitoringPolicy)
    provide_models(routing, world if world is not None else build(cfg["scenario"]))
    return routing, monitoring
