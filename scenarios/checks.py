"""Value checks that raise :class:`~scenarios.errors.ConfigError` naming the full key.

The small vocabulary of range checks (a number > 0, a probability, shares summing to 1, a known
name, a valid distribution) shared by scenario validation (:mod:`scenarios.validate`) and the
run-level checks in ``sim.config.validate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from scenarios.distributions import FAMILIES, NEEDS_SD
from scenarios.errors import ConfigError

SHARE_TOLERANCE = 1e-6


def positive(key: str, value: float) -> None:
    if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
        raise ConfigError(key, "a number > 0", value)


def non_negative(key: str, value: float) -> None:
    if not (isinstance(value, int | float) and value >= 0 and math.isfinite(value)):
        raise ConfigError(key, "a number >= 0", value)


def probability(key: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ConfigError(key, "a probability in [0, 1]", value)


def in_range(key: str, value: float, low: float, high: float, *, high_open: bool = False) -> None:
    ok = low <= value < high if high_open else low <= value <= high
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
