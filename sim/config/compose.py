"""Compose the packaged config from Python (tests, benchmarks, notebooks) without the CLI.

Also the pieces every composed config goes through, here and in the ``ordertwin`` command's
check before launch (:mod:`sim.config.precheck`): YAML errors in a config file turned into one
``file:line`` error (:func:`yaml_errors`), the composed config as plain data
(:func:`plain_config`), and overrides that Hydra would silently ignore (:func:`check_overrides`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from policies.protocols import MonitoringPolicy, RoutingPolicy
from scenarios.build import build
from scenarios.errors import ConfigError, yaml_error
from scenarios.schema import ScenarioConf
from scenarios.world import World
from sim.config.models import provide_models
from sim.config.policy import build_policy
from sim.config.store import register_configs
from sim.config.validate import validate


@contextmanager
def yaml_errors() -> Iterator[None]:
    """A YAML syntax error or a duplicate key in a config file becomes one ``file:line`` error."""
    try:
        yield
    except yaml.YAMLError as err:
        raise yaml_error(err) from err


def plain_config(cfg: DictConfig) -> dict[str, Any]:
    """A composed config as plain data, resolved, without Hydra's own node; required values left
    out stay ``???`` for the validator to name with their full key."""
    keys = [str(k) for k in cfg if k != "hydra"]
    container = OmegaConf.to_container(OmegaConf.masked_copy(cfg, keys), resolve=True)
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}


def group_options(options: Sequence[str], group: str) -> str:
    """What a config group accepts, for an unknown choice: its configs, or that it has none."""
    if not options:
        return f"a config in conf/{group}/ (there is none)"
    return f"one of {', '.join(options)}"


def check_choices(choices: Mapping[str, Any], loader: Any, overrides: Sequence[str] = ()) -> None:
    """Every chosen config of a group exists (Hydra skips a missing ``optional`` one silently),
    looked up where the composition looked: with a ``hydra.searchpath`` among the overrides."""
    searchpath = [o for o in overrides if o.lstrip("+~").startswith("hydra.searchpath")]

    def options(group: str) -> list[str]:
        return list(loader.get_group_options(group, config_name=None, overrides=searchpath))

    for group, choice in choices.items():
        if choice is None or group.startswith("hydra/"):
            continue
        path = group.split("@", 1)[0]  # "routing@routing.control": the group is routing
        parent, _, name = f"{path}/{choice}".rpartition("/")
        if name not in options(parent):
            raise ConfigError(group, group_options(options(path), path), choice)


def check_overrides(overrides: Sequence[str], plain: Mapping[str, Any]) -> None:
    """Refuse ``key={}`` on a mapping that has entries: Hydra merges it, changing nothing."""
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        if override.is_delete() or override.value() != {}:
            continue
        node: Any = plain
        for part in override.key_or_group.split("."):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and node:
            raise ConfigError(
                override.key_or_group,
                "a mapping with entries",
                {},
                "{} given on the command line is merged into the entries there and changes "
                "nothing; remove entries in a YAML file",
            )


def load_config(*overrides: str) -> dict[str, Any]:
    """The composed and validated run config as plain data, e.g. ``load_config("scenario=mmc")``."""
    register_configs()
    with initialize_config_module("sim.conf", version_base="1.3"), yaml_errors():
        cfg = compose("config", overrides=list(overrides), return_hydra_config=True)
        check_choices(cfg.hydra.runtime.choices, GlobalHydra.instance().config_loader(), overrides)
    plain = plain_config(cfg)
    check_overrides(overrides, plain)
    validate(plain)
    return plain


def load_scenario(name_or_path: str) -> dict[str, Any]:
    """A packaged scenario by name (``baseline``), or a scenario YAML file, as plain data.

    A YAML file is merged over the schema's defaults but not validated: calibration uses it as a
    template and validates what it makes of it.
    """
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        with yaml_errors():
            loaded = OmegaConf.load(path)
        merged = OmegaConf.merge(OmegaConf.structured(ScenarioConf), loaded)
        plain = OmegaConf.to_container(merged, resolve=True)
    else:
        plain = load_config(f"scenario={name_or_path}")["scenario"]
    assert isinstance(plain, dict)
    return {str(k): v for k, v in plain.items()}


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
