"""Build a routing or monitoring policy from its config group, checking its parameters.

A policy's parameters are the fields of its dataclass, so the class is its own schema: an unknown
key or a value of the wrong type is reported as ``routing.<key>`` with what was expected. A
composite policy (a regional pilot) gets its parts built here too, so policies never build
policies themselves.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import typing
from collections.abc import Mapping
from typing import Any

from sim.config.validate import ConfigError
from sim.engine.contract import CompositePolicy

RESERVED = ("_target_",)
_SIMPLE = {"float": (int, float), "int": (int,), "bool": (bool,), "str": (str,)}


def _import(target: str, key: str) -> type:
    module_name, _, attr = target.rpartition(".")
    try:
        return typing.cast(type, getattr(importlib.import_module(module_name), attr))
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(key, "an importable policy class (module.Class)", target) from None


def build_policy(conf: Mapping[str, Any], group: str, protocol: type) -> Any:
    """Instantiate ``conf['_target_']`` with the other keys, checked against its fields."""
    if "_target_" not in conf:
        raise ConfigError(f"{group}._target_", "the policy class to build")
    cls = _import(str(conf["_target_"]), f"{group}._target_")
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
