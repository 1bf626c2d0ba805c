"""Value checks that raise :class:`~scenarios.errors.ConfigError` naming the full key.

The small vocabulary of range checks (a number > 0, a probability, shares summing to 1, a known
name, a valid distribution) shared by scenario validation (:mod:`scenarios.validate`), the
run-level checks in ``sim.config.validate`` and the policies' own parameter checks; and
:func:`check_schema`, the walk that sees every value of a config against its dataclass schema
before any range check runs: known keys, the field's type, no required value left out, and every
number finite and of a sane size.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from scenarios.distributions import FAMILIES, NEEDS_SD
from scenarios.errors import ConfigError, unknown_key

SHARE_TOLERANCE = 1e-6
MIN_CV, MAX_CV = 1e-6, 1e3  # a distribution's sd_h / mean_h
MAX_MAGNITUDE = 1e12  # no count, price or duration in a config is larger; beyond it, overflow
MAX_KEY = "max_magnitude"  # field metadata: a larger bound for one field (a seed)
OPTIONAL_KEY = "may_be_absent"  # field metadata: plain data may leave this key out (a newer key)
OPTIONAL = {OPTIONAL_KEY: True}
MISSING = "???"  # OmegaConf's mark of a required value not given
_TYPE_WORDS = {float: "a number", int: "an integer", bool: "true or false", str: "a string"}


def check_schema(
    value: Any,
    schema: Any,
    key: str = "",
    bound: float = MAX_MAGNITUDE,
    optional: Collection[str] = (),
) -> None:
    """``value`` (plain data) fits its schema: raise on the first key or value that does not.

    Every key is a field of its dataclass (Hydra's ``+key=value`` adds keys even to typed nodes)
    and every field is there (a composed config has them all; plain data may not), except the
    top-level ``optional`` ones and those whose metadata is :data:`OPTIONAL` (keys added later,
    which older files do not have); every value has its field's type (a string is not a list, so it
    is never walked character by character); no required value is missing; every number is
    finite and at most ``bound`` in size (:data:`MAX_MAGNITUDE`, or a field's ``max_magnitude``
    metadata). Fields typed ``Any``
    (the policy groups) are left to their own checks.
    """
    if isinstance(value, str) and value == MISSING:
        raise ConfigError(key, "a value (this key is required)")
    origin, args = typing.get_origin(schema), typing.get_args(schema)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return
        options = [a for a in args if a is not type(None)]
        schema = options[0] if len(options) == 1 else Any
        origin, args = typing.get_origin(schema), typing.get_args(schema)
    if schema is Any:
        return
    if dataclasses.is_dataclass(schema) and isinstance(schema, type):
        if not isinstance(value, Mapping):
            raise ConfigError(key, f"a mapping of {schema.__name__} keys", value)
        hints = typing.get_type_hints(schema)
        fields = {f.name: f for f in dataclasses.fields(schema)}
        for name, item in value.items():
            item_key = f"{key}.{name}" if key else str(name)
            if name not in fields:
                raise unknown_key(item_key, str(name), list(fields))
            check_schema(item, hints[name], item_key, fields[name].metadata.get(MAX_KEY, bound))
        for name, spec in fields.items():
            if name not in value and name not in optional and not spec.metadata.get(OPTIONAL_KEY):
                raise ConfigError(
                    f"{key}.{name}" if key else name, "a value (this key is required)"
                )
    elif origin is dict or schema is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(key, "a mapping", value)
        for name, item in value.items():
            check_schema(item, args[1] if len(args) == 2 else Any, f"{key}.{name}", bound)
    elif origin is list or schema is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(key, "a list", value)
        for i, item in enumerate(value):
            check_schema(item, args[0] if args else Any, f"{key}[{i}]", bound)
    elif schema in (float, int):
        number(key, value, integer=schema is int, bound=bound)
    elif schema in (bool, str) and not isinstance(value, schema):
        raise ConfigError(key, _TYPE_WORDS[schema], value)


def number(key: str, value: Any, *, integer: bool = False, bound: float = MAX_MAGNITUDE) -> None:
    """A number (an integer if ``integer``), finite and at most ``bound`` in size."""
    kinds = (int,) if integer else (int, float)
    if not isinstance(value, kinds) or isinstance(value, bool):
        raise ConfigError(key, _TYPE_WORDS[int if integer else float], value)
    if not math.isfinite(value):
        raise ConfigError(key, "a finite number", value)
    if abs(value) > bound:
        raise ConfigError(key, f"a number of size at most {bound:g}", value)


def finite(key: str, value: float) -> None:
    """Any finite number (a margin or a threshold that may be negative)."""
    number(key, value)


def at_least(key: str, value: float, low: float, what: str = "a number") -> None:
    """A finite number >= ``low`` (a floor, e.g. the shortest sensible interval)."""
    number(key, value)
    if value < low:
        raise ConfigError(key, f"{what} >= {low:g}", value)


def at_most(key: str, value: float, high: float, what: str = "a number") -> None:
    """A finite number <= ``high`` (a ceiling beyond which the value is absurd)."""
    number(key, value)
    if value > high:
        raise ConfigError(key, f"{what} <= {high:g}", value)


def count(key: str, value: Any, low: int = 0) -> None:
    """An integer >= ``low`` (not a bool, not a float)."""
    number(key, value, integer=True)
    if value < low:
        raise ConfigError(key, f"an integer >= {low}", value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def positive(key: str, value: float) -> None:
    if not (_is_number(value) and value > 0 and math.isfinite(value)):
        raise ConfigError(key, "a number > 0", value)


def non_negative(key: str, value: float) -> None:
    if not (_is_number(value) and value >= 0 and math.isfinite(value)):
        raise ConfigError(key, "a number >= 0", value)


def positive_or_never(key: str, value: float) -> None:
    """An interval > 0 hours, or infinity for never (a monitoring policy's ``interval_h``)."""
    if not (_is_number(value) and value > 0):
        raise ConfigError(key, "a number > 0 (inf: never)", value)


def probability(key: str, value: float) -> None:
    if not (_is_number(value) and 0.0 <= value <= 1.0):
        raise ConfigError(key, "a probability in [0, 1]", value)


def in_range(key: str, value: float, low: float, high: float, *, high_open: bool = False) -> None:
    ok = _is_number(value) and (low <= value < high if high_open else low <= value <= high)
    if not ok:
        bracket = ")" if high_open else "]"
        raise ConfigError(key, f"a value in [{low}, {high}{bracket}", value)


def known(key: str, name: str, names: Iterable[str], what: str) -> None:
    names = list(names)
    if name not in names:
        raise ConfigError(key, f"a known {what} (one of {', '.join(names)})", name)


def shares(key: str, values: Mapping[str, float], names: Iterable[str], what: str) -> None:
    """Probabilities keyed by name: known names, each >= 0, summing to 1."""
    for name, share in values.items():
        known(f"{key}.{name}", name, names, what)
        non_negative(f"{key}.{name}", share)
    total = sum(values.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ConfigError(key, "shares that sum to 1", round(total, 6))


def distribution(key: str, dist: Mapping[str, Any]) -> None:
    family = dist["dist"]
    if family not in FAMILIES:
        raise ConfigError(f"{key}.dist", f"one of {', '.join(FAMILIES)}", family)
    if family == "constant":
        non_negative(f"{key}.mean_h", dist["mean_h"])
        return
    positive(f"{key}.mean_h", dist["mean_h"])
    if family in NEEDS_SD:
        if dist.get("sd_h") is None:
            raise ConfigError(f"{key}.sd_h", f"a standard deviation (the {family} needs one)")
        positive(f"{key}.sd_h", dist["sd_h"])
        cv = dist["sd_h"] / dist["mean_h"]  # beyond these, the family's parameters overflow
        if not MIN_CV <= cv <= MAX_CV:
            raise ConfigError(
                f"{key}.sd_h",
                f"a standard deviation of {MIN_CV:g} to {MAX_CV:g} times mean_h "
                f"({dist['mean_h']:g}; for no spread use dist: constant)",
                dist["sd_h"],
            )
