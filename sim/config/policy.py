"""Build a routing or monitoring policy from its config group, checking its parameters.

A policy's parameters are the fields of its dataclass, so the class is its own schema: an unknown
key, a value of the wrong type, a NaN or an infinity is reported as ``routing.<key>`` with what was
expected (:func:`scenarios.checks.check_schema` on each field), before the class is called; the
class then checks its own ranges (``__post_init__`` raising ``ConfigError`` with the parameter's
key, which is put under the group here). A policy whose parameters name parts of the network (a
mode, a region) says so with ``world_names()``, checked against the scenario by
:func:`check_policies` before anything runs. A composite policy (a regional pilot) gets its parts
built here too, so policies never build policies themselves.

``_target_`` is checked *before anything is imported*: it must name a class under one of
:data:`ALLOWED_PREFIXES` (the packaged ``policies``), or a policy another package registered under
the entry-point group :data:`ENTRY_POINT_GROUP` (by its entry-point name or its ``module.Class``).
The imported object must then be a class with the protocol's methods before it is called, so a
config naming ``subprocess.run`` or ``os.system`` is refused without importing or calling it.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import math
import typing
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from policies.protocols import MonitoringPolicy, RoutingPolicy
from policies.routing.router_model import ModelFileError, load_model
from scenarios.checks import check_schema, known
from scenarios.errors import ConfigError
from sim.engine.contract import CompositePolicy, LearnedPolicy

RESERVED = ("_target_",)
ALLOWED_PREFIXES = ("policies.",)
ENTRY_POINT_GROUP = "ordertwin.policies"
NEVER = "interval_h"  # the one parameter that may be infinite (math.inf: never inspect)
WORLD_GROUPS = {
    "modes": "mode",
    "regions": "region",
    "warehouses": "warehouse",
    "product_classes": "product class",
    "channels": "channel",
}


@runtime_checkable
class NamesTheWorld(Protocol):
    """A policy whose parameters name parts of the network."""

    def world_names(self) -> Iterable[tuple[str, str, Any]]:
        """``(parameter key, scenario group, name)`` for every name its parameters give, e.g.
        ``("premium_mode", "modes", "air")`` or ``("rules[1].then.mode", "modes", "drone")``."""
        ...


def registered_policies() -> dict[str, str]:
    """Policies other packages registered: entry-point name -> ``module.Class``."""
    found = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep.value.replace(":", ".") for ep in found}


def allowed_target(target: str, key: str) -> str:
    """The ``module.Class`` to import for ``target``, or ConfigError if it is not allowed."""
    registered = registered_policies()
    if target in registered:
        return registered[target]
    if target in registered.values():
        return target
    parts = target.split(".")
    well_formed = len(parts) >= 2 and all(p.isidentifier() for p in parts)
    if well_formed and target.startswith(ALLOWED_PREFIXES):
        return target
    where = " or ".join(ALLOWED_PREFIXES)
    raise ConfigError(
        key,
        f"a policy class under {where}, or one registered as an {ENTRY_POINT_GROUP!r} "
        "entry point (nothing else is imported)",
        target,
    )


def _import(target: str, key: str, protocol: type) -> type:
    module_name, _, attr = allowed_target(target, key).rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(key, "an importable policy class (module.Class)", target) from None
    methods = _protocol_methods(protocol)
    missing = [m for m in methods if not callable(getattr(found, m, None))]
    if not isinstance(found, type) or missing:
        wanted = f"a class implementing {protocol.__name__} (with {', '.join(methods)})"
        raise ConfigError(key, wanted, target)
    return found


def _protocol_methods(protocol: type) -> list[str]:
    return sorted(
        name
        for name, value in vars(protocol).items()
        if callable(value) and not name.startswith("_")
    )


def _check_params(cls: type, params: Mapping[str, Any], group: str) -> None:
    """Each parameter is a field of the policy's dataclass and fits that field's type."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    for key, value in params.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            raise ConfigError(
                f"{group}.{key}",
                f"a parameter of {cls.__name__} (one of {', '.join(fields)})",
                key,
                f"did you mean {close[0]!r}?" if close else "",
            )
        if key == NEVER and value == math.inf:
            continue
        check_schema(value, hints[key], f"{group}.{key}")


def build_policy(conf: Mapping[str, Any], group: str, protocol: type) -> Any:
    """Instantiate ``conf['_target_']`` with the other keys, checked against its fields."""
    if not isinstance(conf, Mapping):
        raise ConfigError(group, "a policy config (a mapping with _target_)", conf)
    if "_target_" not in conf:
        raise ConfigError(f"{group}._target_", "the policy class to build")
    cls = _import(str(conf["_target_"]), f"{group}._target_", protocol)
    params = {k: v for k, v in conf.items() if k not in RESERVED}
    if dataclasses.is_dataclass(cls):
        _check_params(cls, params, group)
    try:
        policy = cls(**params)
    except ConfigError as err:  # the policy checked its own structured parameters
        raise ConfigError(f"{group}.{err.key}", err.expected, err.got, err.hint) from None
    except (TypeError, ValueError) as err:
        raise ConfigError(group, f"valid parameters for {cls.__name__} ({err})") from None
    if not isinstance(policy, protocol):
        raise ConfigError(
            f"{group}._target_", f"a class implementing {protocol.__name__}", conf["_target_"]
        )
    if isinstance(policy, CompositePolicy):  # e.g. a pilot: its parts are policies too
        policy.attach(
            {
                part: build_policy(part_conf, f"{group}.{part}", protocol)
                for part, part_conf in policy.parts().items()
            }
        )
    return policy


def policy_parts(policy: Any, key: str) -> Iterator[tuple[Any, str]]:
    """The policy and, for a composite, its parts (depth first) with their config keys."""
    yield policy, key
    if isinstance(policy, CompositePolicy):
        for part, built in policy.attached().items():
            yield from policy_parts(built, f"{key}.{part}")


def read_model(path: str, key: str) -> Any:
    """The model at a configured ``model_path``: an existing file, in the router model format."""
    found = Path(path)
    if not found.is_file():
        raise ConfigError(key, "an existing model file", path)
    try:
        return load_model(found)
    except ModelFileError as err:
        raise ConfigError(key, "an ordertwin router model file", str(err)) from None


def check_policies(cfg: Mapping[str, Any]) -> tuple[Any, Any]:
    """Build both policies of a run config (no models yet) and check them against its scenario
    and seed: every name they give is in the network, a model file exists, and the run's seed is
    not one a model would be trained on. Returns ``(routing, monitoring)``."""
    routing = build_policy(cfg["routing"], "routing", RoutingPolicy)
    monitoring = build_policy(cfg["monitoring"], "monitoring", MonitoringPolicy)
    scenario = cfg["scenario"]
    for policy, group in ((routing, "routing"), (monitoring, "monitoring")):
        for one, key in policy_parts(policy, group):
            if isinstance(one, NamesTheWorld):
                for param, world_group, name in one.world_names():
                    known(f"{key}.{param}", name, scenario[world_group], WORLD_GROUPS[world_group])
            if isinstance(one, LearnedPolicy):
                seeds = one.model_request()[0]
                if one.model_path is not None:  # read now, so a bad file stops nothing midway
                    model = read_model(one.model_path, f"{key}.model_path")
                    seeds = tuple(getattr(model, "training_seeds", ()))
                if cfg["seed"] in seeds:
                    raise ConfigError(
                        "seed",
                        f"a seed {key} is not trained on (training seeds {list(seeds)})",
                        cfg["seed"],
                    )
    return routing, monitoring
