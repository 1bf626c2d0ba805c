"""Build a routing or monitoring policy from its config group, checking its parameters.

A policy's parameters are the fields of its dataclass, so the class is its own schema: an unknown
key or a value of the wrong type is reported as ``routing.<key>`` with what was expected. A
composite policy (a regional pilot) gets its parts built here too, so policies never build
policies themselves.

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
import typing
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from sim.config.validate import ConfigError
from sim.engine.contract import CompositePolicy

RESERVED = ("_target_",)
ALLOWED_PREFIXES = ("policies.",)
ENTRY_POINT_GROUP = "ordertwin.policies"
_SIMPLE = {"float": (int, float), "int": (int,), "bool": (bool,), "str": (str,)}


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


def build_policy(conf: Mapping[str, Any], group: str, protocol: type) -> Any:
    """Instantiate ``conf['_target_']`` with the other keys, checked against its fields."""
    if "_target_" not in conf:
        raise ConfigError(f"{group}._target_", "the policy class to build")
    cls = _import(str(conf["_target_"]), f"{group}._target_", protocol)
    params = {k: v for k, v in conf.items() if k not in RESERVED}
    if dataclasses.is_dataclass(cls):
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
            expected = _SIMPLE.get(getattr(hints[key], "__name__", ""))
            if expected and (
                not isinstance(value, expected)
                or (bool not in expected and isinstance(value, bool))
            ):
                raise ConfigError(f"{group}.{key}", f"a {hints[key].__name__}", value)
    try:
        policy = cls(**params)
    except ConfigError as err:  # the policy checked its own structured parameters
        raise ConfigError(f"{group}.{err.key}", err.expected, err.got) from None
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
